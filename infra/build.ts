// `npm run build` (also run by `npm install` through `prepare`): bundles the CLI into
// dist/cli/batchfetch.mjs with the shared esbuild configuration. The CLI launcher uses it when it
// is newer than every source file, and runs the TypeScript sources directly otherwise.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { sharedBuildOptions } from './bundling.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  ...sharedBuildOptions,
  entryPoints: [`${root}bin/cli.ts`],
  outfile: `${root}dist/cli/batchfetch.mjs`,
});
