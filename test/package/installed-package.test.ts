import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/temp-dir.ts';

/*
 * Issue 36: the package as a user installs it. `npm pack` (its `prepack` builds what ships), the
 * tarball installed into a fresh directory with aws-cdk-lib, constructs and TypeScript from the
 * registry (this repository's exact versions; npm's cache makes it fast) and nothing else of
 * this repository, then: a plain ESM CDK app and a strict TypeScript one synthesise a stack with
 * BatchFetcher, the installed CLI fetches a list, the engine imports by package name and fetches.
 * @types/node is installed too: the AWS SDK's declarations, which the package's own refer to,
 * need it, as does any TypeScript program for Node (CDK's `cdk init` app template has it).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
/** The project's Node (24), first on PATH: the installed `batchfetch` launcher runs on `node`. */
const nodeDir = dirname(process.execPath);
const env = { ...process.env, PATH: `${nodeDir}${delimiter}${process.env.PATH ?? ''}`, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
const MINUTE = 60_000;

/** Runs a command to its end; its stdout, or an error with both outputs. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs = 3 * MINUTE): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

let work: string;
let app: string;
let tarball: string;
let server: Server;
let origin: string;
const timings: Record<string, number> = {};

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[name] = Math.round(performance.now() - started);
  }
}

beforeAll(async () => {
  work = tempDir('batchfetch-package-');
  app = join(work, 'app');
  const packDir = join(work, 'pack');
  mkdirSync(app);
  mkdirSync(packDir);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const versions = ['aws-cdk-lib', 'constructs', 'typescript', '@types/node'].map((name) => `${name}@${manifest.devDependencies[name]}`);
  // The registry install and the pack overlap: one waits on the network, the other builds. The
  // package's own dependencies (exact versions, as the tarball will ask) come with the first.
  const dependencies = Object.entries(manifest.dependencies).map(([name, version]) => `${name}@${version}`);
  await Promise.all([
    timed('npm pack', () => run('npm', ['pack', '--pack-destination', packDir], root)),
    timed('npm install (registry)', () => run('npm', ['install', ...versions, ...dependencies], app)),
  ]);
  tarball = join(packDir, `batchfetch-${manifest.version}.tgz`);
  await timed('npm install (tarball)', () => run('npm', ['install', tarball], app));
  server = createServer((request, response) => response.end(`page ${request.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 5 * MINUTE);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  process.stderr.write(`installed-package timings (ms): ${JSON.stringify(timings)}\n`);
});

/**
 * The template's Lambda functions and, for each, the files of its code asset in the cloud
 * assembly (the asset's S3 key is `<hash>.zip`, its directory `asset.<hash>`).
 */
function functionsOf(outdir: string, stack: string): Record<string, string[]> {
  type Resource = { Type: string; Properties: { Code?: { S3Key?: string } } };
  const template = JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8')) as { Resources: Record<string, Resource> };
  const functions = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
  return Object.fromEntries(functions.map(([id, resource]) => {
    const hash = resource.Properties.Code?.S3Key?.replace(/\.zip$/, '') ?? 'none';
    return [id, readdirSync(join(outdir, `asset.${hash}`)).sort()];
  }));
}

const BUNDLE = ['chunks', 'index.mjs', 'index.mjs.map'];

test('the tarball holds what users run, and no tests or benches', async () => {
  const files = (await run('tar', ['tzf', tarball], work)).split('\n').filter(Boolean).map((file) => file.replace(/^package\//, ''));
  expect(files.filter((file) => /^(test|bench|functions|infra|lib|types)\//.test(file) || file.includes('.test.'))).toStrictEqual([]);
  for (const file of ['bin/batchfetch.js', 'dist/cli/batchfetch.mjs', 'dist/fetch-batch/index.mjs', 'dist/enqueue/index.mjs',
    'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/infra/index.js', 'dist/infra/index.d.ts']) {
    expect([file, files.includes(file)]).toStrictEqual([file, true]);
  }
}, MINUTE);

test('a plain ESM CDK app synthesises a stack with BatchFetcher, both functions and their bundles', async () => {
  writeFileSync(join(app, 'app.mjs'), `import { App, Stack } from 'aws-cdk-lib';
import { BatchFetcher } from 'batchfetch/infra';
const app = new App({ outdir: 'out-js' });
new BatchFetcher(new Stack(app, 'Consumer'), 'Fetcher', { resultsBucket: true });
app.synth();
`);
  await timed('synth (ESM)', () => run(process.execPath, ['app.mjs'], app));
  const functions = functionsOf(join(app, 'out-js'), 'Consumer');
  expect(Object.keys(functions).sort()).toStrictEqual([expect.stringMatching(/^FetcherEnqueueFunction/), expect.stringMatching(/^FetcherFetchBatchFunction/)]);
  expect(Object.values(functions)).toStrictEqual([BUNDLE, BUNDLE]);
}, 2 * MINUTE);

test('a strict TypeScript CDK app compiles with tsc and synthesises', async () => {
  writeFileSync(join(app, 'app.ts'), `import { App, Stack } from 'aws-cdk-lib';
import { BatchFetcher, type BatchFetcherProps } from 'batchfetch/infra';
import { createFetchEngine, type FetchResult } from 'batchfetch';

const props: BatchFetcherProps = {
  resultsBucket: true,
  schedules: [{ name: 'Nightly', expression: 'cron(0 3 * * ? *)', input: { urls: ['https://example.com/'] } }],
};
const app = new App({ outdir: 'out-ts' });
const fetcher = new BatchFetcher(new Stack(app, 'Consumer'), 'Fetcher', props);
const memory: number | undefined = fetcher.fetchFunction.node.tryGetContext('none') as number | undefined;
const ok = (result: FetchResult): boolean => result.ok && memory === undefined;
await createFetchEngine({ concurrency: 4 }).close();
console.log(typeof ok);
app.synth();
`);
  // cdk init's TypeScript app template compiles with strict and without skipLibCheck: the
  // package's declarations are checked as a consumer's are.
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'built', types: ['node'] },
    files: ['app.ts'],
  }));
  await timed('tsc --strict', () => run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app));
  await timed('synth (TypeScript)', () => run(process.execPath, ['built/app.js'], app));
  const functions = functionsOf(join(app, 'out-ts'), 'Consumer');
  expect(Object.values(functions)).toStrictEqual([BUNDLE, BUNDLE]);
}, 3 * MINUTE);

test('the installed `batchfetch run` fetches a list from a local server', async () => {
  writeFileSync(join(app, 'urls.txt'), `${origin}/a\n${origin}/b\n`);
  const stdout = await timed('batchfetch run', () => run(join(app, 'node_modules/.bin/batchfetch'), ['run', 'urls.txt', '--allow-network', '127.0.0.0/8'], app, MINUTE));
  const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as { url: string; ok: boolean; status: number });
  expect(records.map(({ url, ok, status }) => ({ url, ok, status })).sort((a, b) => a.url.localeCompare(b.url)))
    .toStrictEqual([{ url: `${origin}/a`, ok: true, status: 200 }, { url: `${origin}/b`, ok: true, status: 200 }]);
}, MINUTE);

test('the installed engine is imported by package name and fetches a URL', async () => {
  writeFileSync(join(app, 'engine.mjs'), `import { createFetchEngine } from 'batchfetch';
const engine = createFetchEngine({ allowNetworks: ['127.0.0.0/8'] });
const result = await engine.fetch({ url: process.argv[2] });
await engine.close();
console.log(JSON.stringify(result));
`);
  const result = JSON.parse(await run(process.execPath, ['engine.mjs', `${origin}/one`], app, MINUTE)) as { ok: boolean; status: number; bytes: number };
  expect([result.ok, result.status, result.bytes]).toStrictEqual([true, 200, 'page /one'.length]);
}, MINUTE);
