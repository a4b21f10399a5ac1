// `npm run build` (also run by `npm install` through `prepare`): bundles the CLI into
// dist/cli/batchfetch.mjs and each Lambda function into dist/<function>/index.mjs (exporting
// `handler`), all with the one shared esbuild configuration. The CLI launcher uses its bundle
// when it is newer than every source file, and runs the TypeScript sources otherwise.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, sharedBuildOptions } from './bundling.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

// `node infra/build.ts --function NAME --outfile FILE`: one function only (the CDK bundling, which
// runs synchronously and so cannot use esbuild plugins in-process).
const only = process.argv.indexOf('--function');
if (only !== -1) {
  const name = process.argv[only + 1]!;
  const outfile = process.argv[process.argv.indexOf('--outfile') + 1]!;
  await build({ ...sharedBuildOptions, entryPoints: [`${root}functions/${name}/index.ts`], outfile });
  process.exit(0);
}

await Promise.all([
  // dynalite stays a package of its own: its LevelDB binding finds its native build next to its
  // own files (node-gyp-build), which a bundle would move.
  build({ ...sharedBuildOptions, entryPoints: [`${root}bin/cli.ts`], outfile: `${root}dist/cli/batchfetch.mjs`, external: ['dynalite'] }),
  ...FUNCTIONS.map((name) => build({
    ...sharedBuildOptions,
    entryPoints: [`${root}functions/${name}/index.ts`],
    outfile: `${root}dist/${name}/index.mjs`,
  })),
]);

if (process.argv.includes('--report')) {
  for (const name of FUNCTIONS) {
    process.stdout.write(`dist/${name}/index.mjs ${(statSync(`${root}dist/${name}/index.mjs`).size / 1024).toFixed(0)} KiB\n`);
  }
}
