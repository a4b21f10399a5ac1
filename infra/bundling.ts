import type { BuildOptions } from 'esbuild';

/** Node.js major the Lambda functions run on (nodejs24.x) and bundles target. */
const NODE_TARGET = 'node24';

/**
 * The one esbuild configuration for every bundle: the CLI, the Lambda functions built by
 * `npm run build`, and (issue: infrastructure) the CDK app's bundling. ESM, minified, source maps.
 * `createRequire` lets bundled CommonJS dependencies (undici, the AWS SDK) require Node built-ins.
 */
const sharedBuildOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: NODE_TARGET,
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
};

/** The Lambda functions, each `functions/<name>/index.ts` bundled to `dist/<name>/index.mjs`. */
const FUNCTIONS = ['fetch-batch', 'enqueue'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

export { FUNCTIONS, NODE_TARGET, sharedBuildOptions };
export type { FunctionName };
