// `npm run build` (also run by `npm install` through `prepare`): bundles the CLI into
// dist/cli/ (entry batchfetch.mjs) and each Lambda function into dist/<function>/ (entry index.mjs,
// exporting `handler`), all with the one shared esbuild configuration; each directory also holds
// the chunks loaded on demand (infra/bundling.ts). The CLI launcher uses its bundle when it is
// newer than every source file, and runs the TypeScript sources otherwise.
import { build } from 'esbuild';
import { rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, sharedBuildOptions } from './bundling.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds one entry point into `outdir` as `<entryName>.mjs`, replacing what was there. */
async function bundle(entry: string, outdir: string, entryName: string, external: string[] = []): Promise<void> {
  rmSync(`${outdir}/chunks`, { recursive: true, force: true });
  await build({ ...sharedBuildOptions, entryPoints: { [entryName]: entry }, outdir, outExtension: { '.js': '.mjs' }, external });
}

// `node infra/build.ts --function NAME --outdir DIR`: one function only (the CDK bundling, which
// runs synchronously and so cannot use esbuild plugins in-process).
const only = process.argv.indexOf('--function');
if (only !== -1) {
  const name = process.argv[only + 1]!;
  const outdir = process.argv[process.argv.indexOf('--outdir') + 1]!;
  await bundle(`${root}functions/${name}/index.ts`, outdir, 'index');
  process.exit(0);
}

await Promise.all([
  // dynalite stays a package of its own: its LevelDB binding finds its native build next to its
  // own files (node-gyp-build), which a bundle would move.
  bundle(`${root}bin/cli.ts`, `${root}dist/cli`, 'batchfetch', ['dynalite']),
  ...FUNCTIONS.map((name) => bundle(`${root}functions/${name}/index.ts`, `${root}dist/${name}`, 'index')),
]);

if (process.argv.includes('--report')) {
  for (const name of FUNCTIONS) {
    process.stdout.write(`dist/${name}/index.mjs ${(statSync(`${root}dist/${name}/index.mjs`).size / 1024).toFixed(0)} KiB\n`);
  }
}
