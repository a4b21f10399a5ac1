#!/usr/bin/env node
// Launcher: the CLI is TypeScript run by Node's built-in type stripping (Node >= 22.18), so there
// is no build step. On an older Node (a shell whose `node` is the system's), re-run with the Node
// this project pins as a devDependency.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 19)) {
  await import('./cli.ts');
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(`batchfetch needs Node.js >= 22.19 (found ${process.version}); run \`npm install\` first.\n`);
    process.exit(2);
  }
  const child = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
