// `npm run build:package` (`prepack`, so run by `npm pack` and `npm publish`:
// https://docs.npmjs.com/cli/v11/using-npm/scripts#life-cycle-operation-order): everything the
// published package ships, built side by side: the bundles (infra/build.ts: dist/cli, and the
// function bundles dist/fetch-batch and dist/enqueue the construct deploys from the installed
// package), and the JavaScript and type declarations compiled by tsc (tsconfig.build.json) into
// dist/lib (`batchfetch`) and dist/infra (`batchfetch/infra`).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a Node script to its end; its exit status. */
function run(...args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    spawn(process.execPath, args, { stdio: 'inherit' }).on('error', reject).on('exit', (code) => resolve(code ?? 1));
  });
}

for (const dir of ['lib', 'infra']) rmSync(`${root}dist/${dir}`, { recursive: true, force: true });
const statuses = await Promise.all([
  run(`${root}infra/build.ts`),
  run(`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`),
]);
const failed = statuses.find((status) => status !== 0);
if (failed !== undefined) process.exit(failed);

// tsc rewrites relative `.ts` import paths in the JavaScript it emits, not in declaration files
// (https://www.typescriptlang.org/tsconfig/#rewriteRelativeImportExtensions); a consumer's tsc
// refuses a `.ts` path in a declaration file of node_modules (TS5097), so they are rewritten here.
for (const dir of ['lib', 'infra']) {
  for (const file of readdirSync(`${root}dist/${dir}`, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.d.ts')) continue;
    const path = `${root}dist/${dir}/${file}`;
    const text = readFileSync(path, 'utf8');
    const rewritten = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\.ts\2/g, '$1$2$3.js$2');
    if (rewritten !== text) writeFileSync(path, rewritten);
  }
}
