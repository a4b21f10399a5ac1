#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=192
// Launcher. `--max-semi-space-size=16` (MiB) caps V8's young generation: Node 24's default let it
// grow to 64 MiB per semi-space, which made a large run peak at well over 1.5x the RSS for the same
// CPU. `--max-old-space-size=192` (MiB) caps the old generation: with thousands of origins every
// new connection leaves objects that outlive two scavenges, and V8 let the heap grow to several
// times the live objects (the million-URL run of `npm run bench:origins` stays under 256 MB only
// with the cap, which costs a few percent of CPU on one origin). What a run keeps alive is
// bounded (messages in flight, sockets within the budget) except bodies with `--body keep` and an
// earlier run's records with `--since`: those runs are re-executed without the old-generation cap,
// as is `local-sqs`, which holds every message and object sent to it.
// Runs the esbuild bundle (dist/cli/batchfetch.mjs, built by `npm install`/`npm run
// build`) when it is newer than every source file: it starts in half the CPU and memory of the
// TypeScript sources. Otherwise runs the sources with Node's built-in type stripping.
// BATCHFETCH_LAUNCH=bundle or =sources chooses instead (the test suites run the bundle, what ships).
// On a Node older than 22.19 (a shell whose `node` is the system's), re-runs itself with the
// Node this project pins as a devDependency.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);

function bundleIsFresh(bundle) {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  for (const dir of ['lib', 'bin', 'functions']) {
    if (!existsSync(root + dir)) continue;
    for (const file of readdirSync(root + dir, { recursive: true })) {
      if (file.endsWith('.ts') && statSync(`${root}${dir}/${file}`).mtimeMs > built) return false;
    }
  }
  return true;
}

/** The module to run: the bundle when fresh, else the sources, unless BATCHFETCH_LAUNCH says which. */
function entryPoint() {
  const bundle = `${root}dist/cli/batchfetch.mjs`;
  const choice = process.env.BATCHFETCH_LAUNCH ?? '';
  if (choice === 'sources') return './cli.ts';
  if (choice === 'bundle' && existsSync(bundle)) return bundle;
  if (choice !== '') {
    process.stderr.write(choice === 'bundle'
      ? 'batchfetch: BATCHFETCH_LAUNCH=bundle, but dist/cli/batchfetch.mjs is missing; run `npm run build` first.\n'
      : `batchfetch: BATCHFETCH_LAUNCH must be bundle or sources, got ${JSON.stringify(choice)}.\n`);
    process.exit(2);
  }
  return bundleIsFresh(bundle) ? bundle : './cli.ts';
}

/**
 * True when what the command keeps in memory grows with its input: response bodies (`--body
 * keep`), an earlier run's records (`--since`, kept for the whole run; under the cap the garbage
 * collector ran twice as often and the comparison cost ~15 % more CPU, bench:refetch), or, for
 * `local-sqs`, every queued message and stored object (a 1,000,000-URL job compared with an
 * earlier one ran it out of a capped heap, bench:enqueue-memory).
 */
function keepsInputSizedState(args) {
  return args[0] === 'local-sqs' || args.some((arg, i) => arg === '--body=keep' || (arg === '--body' && args[i + 1] === 'keep')
    || arg === '--since' || arg.startsWith('--since='));
}

/**
 * Runs this launcher again with `execArgv` instead of the shebang's flags, exiting as it exits.
 * The child gets an IPC channel only to learn that this process is gone: a launcher killed alone
 * (`kill -9`, no signal to forward) would otherwise leave it running, a local-sqs serving on.
 */
function rerun(execArgv) {
  const child = spawn(process.execPath, [...execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  // Ctrl-C reaches both processes (one process group): the child handles it, the parent waits.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
}

const capped = process.execArgv.some((arg) => arg.startsWith('--max-old-space-size'));
if (process.channel) {
  // Re-run by a launcher (or forked by a program): the channel keeps nothing alive, and its loss
  // (the parent is gone) stops this process as a SIGTERM would (each command stops gracefully on it).
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
if ((major > 22 || (major === 22 && minor >= 19)) && capped && keepsInputSizedState(process.argv.slice(2))) {
  rerun(process.execArgv.filter((arg) => !arg.startsWith('--max-old-space-size')));
} else if (major > 22 || (major === 22 && minor >= 19)) {
  // V8's compile cache on disk (https://nodejs.org/api/module.html#module-compile-cache): later
  // runs skip compiling the bundle's chunks: ~20 of ~140 ms CPU for `run` with one URL.
  module.enableCompileCache?.(`${root}node_modules/.cache/batchfetch-compile`);
  await import(entryPoint());
} else {
  const pinned = `${root}node_modules/node/bin/node`;
  if (!existsSync(pinned)) {
    process.stderr.write(`batchfetch needs Node.js >= 22.19 (found ${process.version}); run \`npm install\` first.\n`);
    process.exit(2);
  }
  // Ctrl-C reaches both processes (one process group): the child handles it (exit 130) and this
  // one, which would otherwise die by the signal, waits for it and exits as it did.
  process.on('SIGINT', () => {});
  const child = spawnSync(pinned, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? (child.signal === 'SIGINT' ? 130 : 1));
}
