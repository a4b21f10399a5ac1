// `npm run bench`: batchfetch against its baselines on a loopback nginx, in one run, as ratios.
// Each client is a separate process pinned to CPU 1 (nginx has CPU 0). CPU per request is the
// marginal cost, (cpu at N requests - cpu at SMALL requests) / (N - SMALL): the steady state, with
// each client's JIT warm-up and fixed start-up cost (Node + SDK + embedded queue, or Python)
// reported apart instead of smeared in.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS } from '../infra/bundling.ts';
import { startNginx } from './nginx.ts';

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
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
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
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
  if (lines !== n) throw new Error(`local run wrote ${lines} records for ${n} URLs`);
  if (expect && summary.outcomes[expect] !== n) throw new Error(`${expect} run: ${JSON.stringify(summary.outcomes)}`);
  return { client: 'batchfetch run', requests: n, ok: summary.ok, wallMs, cpuMs: summary.cpuMs, peakRssMb: summary.peakRssMb, p50: summary.latencyMs.p50, p99: summary.latencyMs.p99 };
}

const localRun: Client = {
  name: 'batchfetch run (full local run)',
  run: (base, n, dir) => runLocal(base, n, dir),
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
  kib: number;
  importMs: number;
}

/** Size of each Lambda bundle and the median time to import it in a fresh Node process (cold start proxy). */
async function measureBundles(): Promise<BundleFigure[]> {
  const { statSync } = await import('node:fs');
  spawnSync(process.execPath, [join(ROOT, 'infra/build.ts')], { stdio: 'inherit' });
  const importMs = (specifier: string, flags: string[] = []) => {
    const times: number[] = [];
    for (let i = 0; i < 9; i++) {
      const probe = spawnSync(process.execPath, [...flags, '--input-type=module', '-e',
        `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`],
      { env: { ...process.env, QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/q', AWS_REGION: 'us-east-1' }, encoding: 'utf8', cwd: ROOT });
      times.push(Number(probe.stdout.trim()));
    }
    return median(times);
  };
  const figures: BundleFigure[] = [];
  for (const name of FUNCTIONS) {
    const bundle = join(ROOT, `dist/${name}/index.mjs`);
    figures.push({ name: `dist/${name}/index.mjs`, kib: statSync(bundle).size / 1024, importMs: importMs(bundle) });
  }
  const fetchBatch = join(ROOT, 'dist/fetch-batch/index.mjs');
  figures.push({ name: 'dist/fetch-batch/index.mjs with --enable-source-maps', kib: statSync(fetchBatch).size / 1024, importMs: importMs(fetchBatch, ['--enable-source-maps']) });
  figures.push({ name: 'undici (the whole package, for comparison)', kib: Number.NaN, importMs: importMs('undici') });
  return figures;
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
    report(rows, ratios, { refusedCpuUsPerUrl, deadCpuUsPerAttempt }, million, bundles);
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
  ratios: Record<'localVsUndici' | 'engineVsUndici' | 'aiohttpVsLocal', PairedRatio | undefined>,
  hostile: { refusedCpuUsPerUrl: number; deadCpuUsPerAttempt: number },
  million: { wallS: number; cpuUsPerUrl: number; peakRssMb: number; records: number; urlsPerS: number } | undefined,
  bundles: BundleFigure[],
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
    ...rows.map((r) => `| ${r.name} | ${Math.round(r.rps)} | ${f(r.cpuUsPerReq)} | ${f(r.totalCpuUsPerReq)} | ${Math.round(r.startupCpuMs)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${r.peakRssMb} |`),
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
  lines.push(`- hostile batch (every URL to a blocked address, local run): ${f(hostile.refusedCpuUsPerUrl)} µs CPU per URL, one BLOCKED_DESTINATION record each`);
  lines.push(`- dead host (every URL to a closed port, local run, 3 attempts each): ${f(hostile.deadCpuUsPerAttempt)} µs CPU per attempt, one CONNECT_FAILED record each`);
  if (million) {
    lines.push(`- ${million.records.toLocaleString('en')}-URL local run: ${f(million.wallS)} s wall (${Math.round(million.urlsPerS)} URLs/s), ` +
      `${f(million.cpuUsPerUrl)} µs CPU per URL, peak RSS ${million.peakRssMb} MB (target < 256 MB), one record per URL written`);
  }
  lines.push('', '| Lambda bundle | size KiB | import ms (fresh process, median of 9) |', '| --- | ---: | ---: |');
  for (const bundle of bundles) lines.push(`| ${bundle.name} | ${Number.isNaN(bundle.kib) ? '' : Math.round(bundle.kib)} | ${f(bundle.importMs)} |`);
  const undiciImport = bundles.find((b) => b.name.startsWith('undici'))?.importMs;
  const fetchBatchImport = bundles.find((b) => b.name === 'dist/fetch-batch/index.mjs')?.importMs;
  if (undiciImport && fetchBatchImport) lines.push('', `- fetch-batch import / undici import: **${f(fetchBatchImport / undiciImport, 2)}×** (target ≤ 1.3×)`);
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/latest.md'), text);
  writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify({ rows, ratios, hostile, million, bundles }, null, 2)}\n`);
}

await main();
