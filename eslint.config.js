// ESLint with typescript-eslint's type-checked rules (https://typescript-eslint.io/getting-started/typed-linting),
// run by `npm test` (test/harness/run-suite.ts) over every TypeScript file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', '.tmp/', 'coverage/', 'bench/results/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Methods that implement a promise-returning interface (a sink's write, the queue calls)
      // are \`async\` so that what they throw becomes a rejection, awaited or not.
      '@typescript-eslint/require-await': 'off',
      // Rethrowing what a catch or a settled promise holds is fine; creating a non-Error is not.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true, allowThrowingAny: false }],
      // A leading underscore marks what is left out on purpose (`const { body: _body, ...rest }`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
    },
  },
  {
    // A test reads what a process printed or a server received with JSON.parse (typed `any`) and
    // asserts on it: the assertion, not a type, is the check there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Each `declare module` block is its own scope: the same package imported in two is not a duplicate.
    files: ['**/*.d.ts'],
    rules: { 'no-duplicate-imports': 'off' },
  },
);
