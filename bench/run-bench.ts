// `npm run bench`: batchfetch against its baselines on a loopback nginx, in one run, as ratios.
// Each client is a separate process pinned to CPU 1 (nginx has CPU 0). CPU per request is the
// marginal cost, (cpu at N requests - cpu at SMALL requests) / (N - SMALL): the steady state, with
// each client's JIT warm-up and fixed start-up cost (Node + SDK + embedded queue, or Python)
// reported apart instead of smeared in.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS } from '../infra/bundling.ts';
import { aptInstall, startNginx } from './nginx.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.env.BENCH_REQUESTS ?? 100_000);
const SMALL = Number(process.env.BENCH_SMALL ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MILLION = Number(process.env.BENCH_MILLION ?? 1_000_000);
/** URLs of the dead-host runs: each costs three refused connects and two backoffs. */
const DEAD = 2_000;
const DEAD_SMALL = 500;
const PYTHON = '/usr/bin/python3';
const TASKSET = existsSync('/usr/bin/taskset') ? ['/usr/bin/taskset', '-c', cpus().length > 1 ? '1' : '0'] : [];

interface Sample {
  client: string;
  requests: number;
  ok: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  p50: number;
  p99: number;
}

interface Client {
  readonly name: string;
  run(base: string, n: number, dir: string): Promise<Sample>;
}

async function spawnJson(command: string[]): Promise<{ stdout: string; wallMs: number }> {
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += String(chunk); });
  const [code] = await once(child, 'close') as [number | null];
  if (code !== 0) throw new Error(`${command.join(' ')} exited with ${code}`);
  return { stdout, wallMs: performance.now() - started };
}

function nodeClient(name: string, script: string): Client {
  return {
    name,
    async run(base, n) {
      const { stdout } = await spawnJson([...TASKSET, process.execPath, join(ROOT, 'bench/clients', script), base, String(n), String(CONCURRENCY)]);
      return JSON.parse(stdout.trim().split('\n').pop()!) as Sample;
    },
  };
}

/** A loopback port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function writeUrlFile(path: string, base: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < n; i++) {
    if (!out.write(`${base}/1k?i=${i}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * `batchfetch run FILE`, results written to a file, through the embedded queue. With `expect`,
 * loopback stays blocked or the port is closed: every URL must end with that code (hostile batches).
 */
async function runLocal(base: string, n: number, dir: string, expect?: 'BLOCKED_DESTINATION' | 'CONNECT_FAILED'): Promise<Sample> {
  const allow = expect !== 'BLOCKED_DESTINATION';
  const input = join(dir, `urls-${new URL(base).port}-${n}.txt`);
  if (!existsSync(input)) await writeUrlFile(input, base, n);
  const out = join(dir, 'results.jsonl');
  const summaryPath = join(dir, 'summary.json');
  // Executed through its shebang, as `npx batchfetch` runs it (npm puts the pinned Node first on PATH).
  const { wallMs } = await spawnJson([...TASKSET, join(ROOT, 'bin/batchfetch.js'), 'run', input,
    ...(allow ? ['--allow-network', '127.0.0.0/8'] : []), '--concurrency', String(CONCURRENCY), '--per-origin', String(CONCURRENCY),
    '--out', out, '--quiet', '--summary-json', summaryPath]);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { ok: number; outcomes: Record<string, number>; cpuMs: number; peakRssMb: number; latencyMs: { p50: number; p99: number } };
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
  if (lines !== n) throw new Error(`local run wrote ${lines} records for ${n} URLs`);
  if (expect && summary.outcomes[expect] !== n) throw new Error(`${expect} run: ${JSON.stringify(summary.outcomes)}`);
  return { client: 'batchfetch run', requests: n, ok: summary.ok, wallMs, cpuMs: summary.cpuMs, peakRssMb: summary.peakRssMb, p50: summary.latencyMs.p50, p99: summary.latencyMs.p99 };
}

const localRun: Client = {
  name: 'batchfetch run (full local run)',
  run: (base, n, dir) => runLocal(base, n, dir),
};

/**
 * curl (Debian's) fetching every URL of a list with `--parallel --parallel-max CONCURRENCY`, its CPU,
 * wall time and peak RSS from GNU time (curl reports no latencies: p50/p99 are left blank).
 */
const curl: Client = {
  name: 'curl --parallel',
  async run(base, n, dir) {
    const config = join(dir, `curl-${new URL(base).port}-${n}.cfg`);
    if (!existsSync(config)) {
      const out = createWriteStream(config);
      for (let i = 0; i < n; i++) {
        if (!out.write(`url = "${base}/1k?i=${i}"\noutput = "/dev/null"\n`)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    }
    const timing = join(dir, 'curl.time');
    const { stdout } = await spawnJson(['/usr/bin/time', '-o', timing, '-f', '%e %U %S %M', ...TASKSET,
      'curl', '--parallel', '--parallel-max', String(CONCURRENCY), '-s', '-K', config, '-w', '%{http_code}\n']);
    const [wallS, userS, sysS, maxKb] = readFileSync(timing, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    const ok = stdout.split('\n').filter((code) => code === '200').length;
    return { client: 'curl', requests: n, ok, wallMs: wallS! * 1000, cpuMs: (userS! + sysS!) * 1000, peakRssMb: Math.round(maxKb! / 1024), p50: Number.NaN, p99: Number.NaN };
  },
};

const aiohttp: Client = {
  name: 'aiohttp (Python reference)',
  async run(base, n) {
    const { stdout } = await spawnJson([...TASKSET, PYTHON, join(ROOT, 'bench/clients/aiohttp_client.py'), base, String(n), String(CONCURRENCY)]);
    return JSON.parse(stdout.trim().split('\n').pop()!) as Sample;
  },
};

function ensureAiohttp(): boolean {
  if (spawnSync(PYTHON, ['-c', 'import aiohttp']).status === 0) return true;
  process.stderr.write('bench: installing Debian package python3-aiohttp\n');
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  spawnSync('apt-get', ['install', '-y', '-qq', 'python3-aiohttp'], { stdio: 'inherit' });
  return spawnSync(PYTHON, ['-c', 'import aiohttp']).status === 0;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Row {
  name: string;
  rps: number;
  cpuUsPerReq: number;
  totalCpuUsPerReq: number;
  startupCpuMs: number;
  p50: number;
  p99: number;
  peakRssMb: number;
}

interface BundleFigure {
  name: string;
  /** The entry file, and the whole directory (the entry and every chunk, loaded or not). */
  kib: number;
  dirKib: number;
  importMs: number;
  /** Median of this bundle's import time over undici's, measured back to back. */
  vsUndici: number;
}

/** The environment the construct gives the functions (infra/batch-fetcher.ts), so imports load what a deployment loads. */
const DEPLOYED_ENV = {
  AWS_REGION: 'us-east-1',
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/q',
  CONTINUATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/q',
  JOBS_TABLE: 'batchfetch-jobs',
};

/** Milliseconds to import `specifier` in a fresh Node process (a cold start's module loading). */
function importMs(specifier: string, env: Record<string, string> = DEPLOYED_ENV, flags: string[] = []): number {
  const probe = spawnSync(process.execPath, [...flags, '--input-type=module', '-e',
    `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`],
  { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', cwd: ROOT });
  if (probe.status !== 0) throw new Error(`importing ${specifier} failed: ${probe.stderr}`);
  return Number(probe.stdout.trim());
}

const dirKib = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.mjs'))
  .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0) / 1024;

/**
 * Size of each Lambda bundle and the median time to import it in a fresh Node process (cold start
 * proxy), each import alternated with one of undici alone: the ratio is taken per pair, as machine
 * noise moves both alike.
 */
async function measureBundles(): Promise<BundleFigure[]> {
  spawnSync(process.execPath, [join(ROOT, 'infra/build.ts')], { stdio: 'inherit' });
  const fetchBatch = join(ROOT, 'dist/fetch-batch/index.mjs');
  const cases: Array<{ name: string; file: string; env?: Record<string, string>; flags?: string[] }> = [
    { name: 'dist/fetch-batch (as deployed: jobs table, continuations)', file: fetchBatch },
    { name: 'dist/fetch-batch with a results bucket (S3 client too)', file: fetchBatch, env: { ...DEPLOYED_ENV, RESULTS_BUCKET: 'results' } },
    { name: 'dist/fetch-batch with --enable-source-maps', file: fetchBatch, flags: ['--enable-source-maps'] },
    ...FUNCTIONS.filter((name) => name !== 'fetch-batch').map((name) => ({ name: `dist/${name}`, file: join(ROOT, `dist/${name}/index.mjs`) })),
  ];
  const undiciTimes: number[] = [];
  const figures: BundleFigure[] = cases.map((c) => {
    const times: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < 15; i++) {
      const own = importMs(c.file, c.env, c.flags);
      const undici = importMs('undici');
      times.push(own);
      undiciTimes.push(undici);
      ratios.push(own / undici);
    }
    const dir = join(c.file, '..');
    return { name: c.name, kib: statSync(c.file).size / 1024, dirKib: dirKib(dir), importMs: median(times), vsUndici: median(ratios) };
  });
  figures.push({ name: 'undici (the whole package, for comparison)', kib: Number.NaN, dirKib: Number.NaN, importMs: median(undiciTimes), vsUndici: 1 });
  return figures;
}

interface StartupFigure {
  runCpuMs: number;
  undiciCpuMs: number;
  /** Median of the per-pair ratios. */
  ratio: number;
  min: number;
  max: number;
}

/**
 * Start-up: `batchfetch run` with one URL against a bare undici script making one request,
 * alternated, each reporting its own CPU (user + system) at its end.
 */
async function measureStartup(base: string, dir: string): Promise<StartupFigure> {
  const pairs: Array<{ run: number; undici: number }> = [];
  for (let i = 0; i < 11; i++) {
    const run = await runLocal(base, 1, dir);
    const { stdout } = await spawnJson([...TASKSET, process.execPath, join(ROOT, 'bench/clients/undici-one.mjs'), `${base}/1k`]);
    pairs.push({ run: run.cpuMs, undici: (JSON.parse(stdout) as { cpuMs: number }).cpuMs });
  }
  const ratios = pairs.map((p) => p.run / p.undici);
  return {
    runCpuMs: median(pairs.map((p) => p.run)),
    undiciCpuMs: median(pairs.map((p) => p.undici)),
    ratio: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
  };
}

async function main(): Promise<void> {
  const bundles = await measureBundles();
  const clients: Client[] = [
    nodeClient('batchfetch engine (lib)', 'engine.ts'),
    localRun,
    nodeClient('undici request() (baseline)', 'undici-request.ts'),
    nodeClient('undici dispatch() (floor)', 'undici-dispatch.ts'),
    nodeClient('Node fetch()', 'node-fetch.ts'),
  ];
  aptInstall(['curl'], () => !existsSync('/usr/bin/curl'));
  aptInstall(['time'], () => !existsSync('/usr/bin/time'));
  if (existsSync('/usr/bin/curl') && existsSync('/usr/bin/time')) clients.push(curl);
  else process.stderr.write('bench: curl or GNU time unavailable; curl is skipped\n');
  if (ensureAiohttp()) clients.push(aiohttp);
  else process.stderr.write('bench: python3-aiohttp unavailable; the Python reference is skipped\n');

  const nginx = await startNginx();
  const dir = mkdtempSync(join(tmpdir(), 'batchfetch-bench-'));
  const samples = new Map<string, Array<{ big: Sample; small: Sample }>>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no client always runs first or last.
      const order = clients.map((_, i) => clients[(i + round) % clients.length]!);
      for (const client of order) {
        const small = await client.run(nginx.base, SMALL, dir);
        const big = await client.run(nginx.base, N, dir);
        if (big.ok !== N) throw new Error(`${client.name}: ${big.ok} of ${N} requests succeeded`);
        process.stderr.write(`bench: round ${round + 1} ${client.name}: ${Math.round((N / big.wallMs) * 1000)} req/s, cpu ${big.cpuMs.toFixed(0)} ms\n`);
        samples.set(client.name, [...(samples.get(client.name) ?? []), { big, small }]);
      }
    }
    const rows: Row[] = clients.map((client) => {
      const runs = samples.get(client.name)!;
      return {
        name: client.name,
        rps: median(runs.map((r) => (N / r.big.wallMs) * 1000)),
        cpuUsPerReq: median(runs.map((r) => ((r.big.cpuMs - r.small.cpuMs) * 1000) / (N - SMALL))),
        totalCpuUsPerReq: median(runs.map((r) => (r.big.cpuMs * 1000) / N)),
        // Fixed cost: the small run's CPU less its requests at the marginal rate.
        startupCpuMs: median(runs.map((r) => r.small.cpuMs - ((r.big.cpuMs - r.small.cpuMs) / (N - SMALL)) * SMALL)),
        p50: median(runs.map((r) => r.big.p50)),
        p99: median(runs.map((r) => r.big.p99)),
        peakRssMb: Math.max(...runs.map((r) => r.big.peakRssMb)),
      };
    });

    const marginal = (r: { big: Sample; small: Sample }) => ((r.big.cpuMs - r.small.cpuMs) * 1000) / (N - SMALL);
    // Machine noise moves every client of a round together: the ratio of two clients measured
    // back to back in one round is steadier than the ratio of their medians.
    const paired = (a: string, b: string): PairedRatio | undefined => {
      const [runsA, runsB] = [samples.get(a), samples.get(b)];
      if (!runsA || !runsB) return undefined;
      const ratios = runsA.map((run, round) => marginal(run) / marginal(runsB[round]!));
      return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
    };
    const ratios = {
      localVsUndici: paired(localRun.name, 'undici request() (baseline)'),
      engineVsUndici: paired('batchfetch engine (lib)', 'undici request() (baseline)'),
      aiohttpVsLocal: paired(aiohttp.name, localRun.name),
      curlVsEngine: paired(curl.name, 'batchfetch engine (lib)'),
      curlVsLocal: paired(curl.name, localRun.name),
    };

    // A hostile batch: every URL points at a blocked address and must be refused cheaply.
    const refusedSmall = await runLocal(nginx.base, SMALL, dir, 'BLOCKED_DESTINATION');
    const refusedBig = await runLocal(nginx.base, N, dir, 'BLOCKED_DESTINATION');
    const refusedCpuUsPerUrl = marginal({ big: refusedBig, small: refusedSmall });
    // Dead hosts: a closed port refuses every connect; 3 attempts per URL (the default retries).
    const closedBase = `http://127.0.0.1:${await closedPort()}`;
    const deadSmall = await runLocal(closedBase, DEAD_SMALL, dir, 'CONNECT_FAILED');
    const deadBig = await runLocal(closedBase, DEAD, dir, 'CONNECT_FAILED');
    const deadCpuUsPerAttempt = ((deadBig.cpuMs - deadSmall.cpuMs) * 1000) / ((DEAD - DEAD_SMALL) * 3);

    let million: { wallS: number; cpuUsPerUrl: number; peakRssMb: number; records: number; urlsPerS: number } | undefined;
    if (MILLION > 0) {
      const sample = await localRun.run(nginx.base, MILLION, dir);
      million = {
        wallS: sample.wallMs / 1000,
        cpuUsPerUrl: (sample.cpuMs * 1000) / MILLION,
        peakRssMb: sample.peakRssMb,
        records: MILLION, // localRun.run checked that exactly one record per URL was written
        urlsPerS: (MILLION / sample.wallMs) * 1000,
      };
    }
    const startup = await measureStartup(nginx.base, dir);
    report(rows, ratios, { refusedCpuUsPerUrl, deadCpuUsPerAttempt }, million, bundles, startup);
  } finally {
    nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PairedRatio {
  median: number;
  min: number;
  max: number;
}

function report(
  rows: Row[],
  ratios: Record<'localVsUndici' | 'engineVsUndici' | 'aiohttpVsLocal' | 'curlVsEngine' | 'curlVsLocal', PairedRatio | undefined>,
  hostile: { refusedCpuUsPerUrl: number; deadCpuUsPerAttempt: number },
  million: { wallS: number; cpuUsPerUrl: number; peakRssMb: number; records: number; urlsPerS: number } | undefined,
  bundles: BundleFigure[],
  startup: StartupFigure,
): void {
  const byName = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
  const undici = byName('undici');
  const local = byName('batchfetch run');
  const engine = byName('batchfetch engine');
  const python = byName('aiohttp');
  const f = (n: number, digits = 1) => n.toFixed(digits);
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ` +
      `${N.toLocaleString('en')} requests per client at concurrency ${CONCURRENCY}, loopback nginx 1 KiB bodies, median of ${ROUNDS} rounds.`,
    '',
    '| client | req/s | CPU µs/req (marginal) | CPU µs/req (incl. start-up) | start-up CPU ms | p50 ms | p99 ms | peak RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.name} | ${Math.round(r.rps)} | ${f(r.cpuUsPerReq)} | ${f(r.totalCpuUsPerReq)} | ${Math.round(r.startupCpuMs)} | ${Number.isNaN(r.p50) ? '' : f(r.p50, 2)} | ${Number.isNaN(r.p99) ? '' : f(r.p99, 2)} | ${r.peakRssMb} |`),
    '',
  ];
  const ratio = (r: PairedRatio | undefined) => (r ? `**${f(r.median, 2)}×** (rounds ${f(r.min, 2)}–${f(r.max, 2)})` : 'n/a');
  if (undici && local) {
    lines.push(`- full local run / undici request() CPU per URL: ${ratio(ratios.localVsUndici)} (target ≤ 1.3×); ratio of medians ${f(local.cpuUsPerReq / undici.cpuUsPerReq, 2)}×`);
  }
  if (undici && engine) lines.push(`- engine / undici request() CPU per URL: ${ratio(ratios.engineVsUndici)}`);
  if (python && local) {
    lines.push(`- aiohttp / full local run CPU per URL: ${ratio(ratios.aiohttpVsLocal)} less CPU for batchfetch (target ≥ 6×); ratio of medians ${f(python.cpuUsPerReq / local.cpuUsPerReq, 2)}×`);
  }
  if (python && engine) lines.push(`- aiohttp / engine CPU per URL: **${f(python.cpuUsPerReq / engine.cpuUsPerReq, 2)}×**`);
  if (ratios.curlVsEngine) lines.push(`- curl --parallel / engine CPU per URL: ${ratio(ratios.curlVsEngine)}; curl / full local run: ${ratio(ratios.curlVsLocal)} (above 1: batchfetch spends less)`);
  lines.push(`- hostile batch (every URL to a blocked address, local run): ${f(hostile.refusedCpuUsPerUrl)} µs CPU per URL, one BLOCKED_DESTINATION record each`);
  lines.push(`- dead host (every URL to a closed port, local run, 3 attempts each): ${f(hostile.deadCpuUsPerAttempt)} µs CPU per attempt, one CONNECT_FAILED record each`);
  if (million) {
    lines.push(`- ${million.records.toLocaleString('en')}-URL local run: ${f(million.wallS)} s wall (${Math.round(million.urlsPerS)} URLs/s), ` +
      `${f(million.cpuUsPerUrl)} µs CPU per URL, peak RSS ${million.peakRssMb} MB (target < 256 MB), one record per URL written`);
  }
  lines.push(`- start-up, one URL: \`batchfetch run\` ${f(startup.runCpuMs, 0)} ms CPU, a bare undici script ${f(startup.undiciCpuMs, 0)} ms: ` +
    `**${f(startup.ratio, 2)}×** (pairs ${f(startup.min, 2)}–${f(startup.max, 2)}, median of 11 alternating pairs; target ≤ 1.2×)`);
  lines.push('', '| Lambda bundle | entry KiB | all chunks KiB | import ms (fresh process, median of 15) | / undici (per pair) |', '| --- | ---: | ---: | ---: | ---: |');
  const kib = (n: number) => (Number.isNaN(n) ? '' : String(Math.round(n)));
  for (const b of bundles) lines.push(`| ${b.name} | ${kib(b.kib)} | ${kib(b.dirKib)} | ${f(b.importMs)} | ${f(b.vsUndici, 2)}× |`);
  const deployed = bundles[0];
  if (deployed) lines.push('', `- fetch-batch import (as deployed) / undici import: **${f(deployed.vsUndici, 2)}×** (target ≤ 1.3×)`);
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/latest.md'), text);
  writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify({ rows, ratios, hostile, million, bundles, startup }, null, 2)}\n`);
}

await main();
