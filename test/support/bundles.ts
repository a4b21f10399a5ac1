import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked } from './children.ts';
import { tempDir } from './temp-dir.ts';

/*
 * What ships, run as users and Lambda run it: the esbuild bundles in dist/. They are built by
 * `npm test`'s preparation step (test/harness/prepare.ts), before Jest starts, never by a test:
 * a test rebuilding dist/ would pull chunks from under CLI children of other tests.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A bundle's entry point: the CLI's (dist/cli/batchfetch.mjs) or the fetch-batch function's (dist/fetch-batch/index.mjs). */
function bundlePath(name: 'cli' | 'fetch-batch'): string {
  const path = join(ROOT, name === 'cli' ? 'dist/cli/batchfetch.mjs' : `dist/${name}/index.mjs`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run the tests with \`npm test\` (its preparation builds dist/) or run \`npm run build\` first`);
  return path;
}

/**
 * The environment of a CLI child: the pinned Node first on PATH (the launcher runs through its
 * shebang, as npx does), and the launcher told to run the bundle whatever its age, so that a CLI
 * test never falls back to the TypeScript sources unnoticed (bin/batchfetch.js).
 */
function cliEnv(): NodeJS.ProcessEnv {
  bundlePath('cli');
  return { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, BATCHFETCH_LAUNCH: 'bundle' };
}

/**
 * Imports the bundle in a fresh Node process, as Lambda does, calls its handler once and exits
 * when it has answered, as Lambda freezes the process then: timers the function keeps for its next
 * invocation (a host's Retry-After) would hold a process that waits for its event loop to empty.
 */
const DRIVER = `
const { handler } = await import(process.env.BUNDLE);
const deadline = Date.now() + 30000;
const context = { awsRequestId: 'req-1', functionName: 'fetch-batch', getRemainingTimeInMillis: () => deadline - Date.now() };
const response = await handler(JSON.parse(process.env.EVENT), context);
console.log('RESPONSE ' + JSON.stringify(response));
process.exit(0);
`;

/**
 * Runs the fetch-batch function's bundle once on `event`, with only `env` (and PATH) in its
 * environment; resolves with its exit code and its output lines (stdout and stderr). Killed after 30 s.
 */
function runFetchBatchBundle(event: unknown, env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  const bundle = bundlePath('fetch-batch');
  const dir = tempDir('bundle-');
  writeFileSync(join(dir, 'driver.mjs'), DRIVER);
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, [join(dir, 'driver.mjs')], {
      env: { PATH: process.env.PATH, BUNDLE: bundle, EVENT: JSON.stringify(event), AWS_REGION: 'us-east-1', ...env },
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout += String(chunk); });
    child.stderr!.on('data', (chunk: Buffer) => { stdout += String(chunk); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: stdout.split('\n').filter(Boolean) });
    });
  });
}

export { cliEnv, runFetchBatchBundle };
