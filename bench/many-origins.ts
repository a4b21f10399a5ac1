// `npm run bench:origins`: batchfetch at the scale of real URL lists, beside its baselines, in one
// run. Every client runs in its own process on CPU 1 (nginx has CPU 0) under `ulimit -n 1024`
// (Lambda's descriptor limit), inside a private mount namespace whose /etc/hosts maps the
// scenario's host names (o<N>.batchfetch.test) to 127.0.0.1: each name is its own origin to every
// client, and nothing leaves the machine. CPU, wall time and peak RSS come from GNU time; peak open
// descriptors are sampled from /proc by this process. Needs root (unshare, mount, apt-get).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, startNginx } from './nginx.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CA = join(ROOT, 'test/fixtures/private-ca.crt');
const PYTHON = '/usr/bin/python3';
const DESCRIPTORS = Number(process.env.BENCH_ULIMIT ?? 1024);
const SCALE = Number(process.env.BENCH_SCALE ?? 1); // 0.1 for a quick look
const MILLION = Number(process.env.BENCH_MILLION ?? 1_000_000);
const MILLION_ORIGINS = Number(process.env.BENCH_MILLION_ORIGINS ?? 100_000);
const CPU_CORE = cpus().length > 1 ? '1' : '0';
/** `million` runs only the million-URL scenario. */
const ONLY = process.env.BENCH_ONLY;
/** The million's order: `grouped` (as a sitemap) unless BENCH_MILLION_ORDER=shuffled. */
const BENCH_MILLION_ORDER = process.env.BENCH_MILLION_ORDER === 'shuffled' ? 'shuffled' : 'grouped';

interface Run {
  readonly client: string;
  readonly urls: number;
  readonly ok: number;
  readonly failures: Record<string, number>;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly peakFds: number;
  /** TCP connections nginx accepted during the run. */
  readonly connections: number;
}

interface Client {
  readonly name: string;
  /** The command that fetches every URL of `list`; its stdout is handed to `parse`. */
  command(list: string, concurrency: number, tls: boolean, dir: string, perOrigin: number): string[];
  parse(stdout: string, dir: string): { ok: number; failures: Record<string, number> };
  /** Most requests in flight this client supports (curl's --parallel-max stops at 300). */
  readonly maxConcurrency?: number;
}

const batchfetch: Client = {
  name: 'batchfetch run',
  command: (list, concurrency, tls, dir, perOrigin) => [join(ROOT, 'bin/batchfetch.js'), 'run', list, '--allow-network', '127.0.0.0/8',
    '--concurrency', String(concurrency), '--per-origin', String(perOrigin), '--out', join(dir, 'results.jsonl'), '--quiet', '--summary-json', join(dir, 'summary.json'),
    ...(tls ? ['--ca-file', CA] : [])],
  parse(_stdout, dir) {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { ok: number; outcomes: Record<string, number> };
    const failures = Object.fromEntries(Object.entries(summary.outcomes).filter(([code]) => code !== 'OK'));
    return { ok: summary.ok, failures };
  },
};

const undiciRequest: Client = {
  name: 'undici request() (one Agent, defaults)',
  command: (list, concurrency, tls) => [process.execPath, join(ROOT, 'bench/clients/url-list-undici.ts'), list, String(concurrency), ...(tls ? [CA] : [])],
  parse: (stdout) => { const r = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: number; errors: Record<string, number> }; return { ok: r.ok, failures: r.errors }; },
};

const curl: Client = {
  name: 'curl --parallel',
  maxConcurrency: 300,
  command: (list, concurrency, tls, dir) => {
    const config = join(dir, 'curl.cfg');
    writeFileSync(config, readFileSync(list, 'utf8').split('\n').filter(Boolean).map((url) => `url = "${url}"\noutput = "/dev/null"\n`).join(''));
    return ['curl', '--parallel', '--parallel-max', String(concurrency), '-s', '-K', config, '-w', '%{http_code}\\n', ...(tls ? ['--cacert', CA] : [])];
  },
  parse(stdout) {
    const codes = stdout.split('\n').filter(Boolean);
    const failures: Record<string, number> = {};
    for (const code of codes) if (code !== '200') failures[`HTTP_${code}`] = (failures[`HTTP_${code}`] ?? 0) + 1;
    return { ok: codes.filter((code) => code === '200').length, failures };
  },
};

const scrapy: Client = {
  name: 'Scrapy',
  command: (list, concurrency, _tls, dir) => [PYTHON, join(ROOT, 'bench/clients/url_list_scrapy.py'), list, String(concurrency), join(dir, 'scrapy.jsonl')],
  parse: (stdout) => { const r = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: number; errors: Record<string, number> }; return { ok: r.ok, failures: r.errors }; },
};

const CRAWLEE_DIR = join(ROOT, '.tmp/crawlee');

const crawlee: Client = {
  name: 'Crawlee',
  command: (list, concurrency, tls) => ['env', `CRAWLEE_DIR=${CRAWLEE_DIR}`, process.execPath, join(ROOT, 'bench/clients/url-list-crawlee.mjs'), list, String(concurrency), ...(tls ? [CA] : [])],
  parse: (stdout) => { const r = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: number; errors: Record<string, number> }; return { ok: r.ok, failures: r.errors }; },
};

const aiohttp: Client = {
  name: 'aiohttp',
  command: (list, concurrency, tls) => [PYTHON, join(ROOT, 'bench/clients/url_list_aiohttp.py'), list, String(concurrency), ...(tls ? [CA] : [])],
  parse: (stdout) => { const r = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: number; errors: Record<string, number> }; return { ok: r.ok, failures: r.errors }; },
};

/** A deterministic shuffle (mulberry32), so every client fetches the same order. */
function shuffled<T>(items: T[], seed = 42): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Open descriptors of `pid`'s descendants that are not the wrappers (time, unshare, sh, taskset). */
function descendantFds(pid: number): number {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  let total = 0;
  const visit = (p: number) => {
    for (const child of children.get(p) ?? []) {
      if (!['time', 'unshare', 'sh', 'taskset'].includes(names.get(child) ?? '')) {
        try { total += readdirSync(`/proc/${child}/fd`).length; } catch { /* gone */ }
      }
      visit(child);
    }
  };
  visit(pid);
  return total;
}

async function runClient(client: Client, list: string, urls: number, scenario: Scenario, hosts: string, dir: string, ports: Ports): Promise<Run> {
  const { concurrency, tls } = scenario;
  const acceptedBefore = await acceptedConnections(ports);
  const timing = join(dir, 'time.txt');
  const inner = ['/usr/bin/time', '-o', timing, '-f', '%e %U %S %M', 'taskset', '-c', CPU_CORE, ...client.command(list, concurrency, tls, dir, scenario.perOrigin ?? 16)];
  const script = `mount --bind "$0" /etc/hosts && ulimit -n ${DESCRIPTORS} && exec "$@"`;
  const child = spawn('unshare', ['-m', 'sh', '-c', script, hosts, ...inner], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += String(chunk); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += String(chunk); });
  let peakFds = 0;
  const sampler = setInterval(() => { peakFds = Math.max(peakFds, descendantFds(child.pid!)); }, 50);
  const [code] = await once(child, 'close') as [number | null];
  clearInterval(sampler);
  const [wall, user, sys, maxKb] = readFileSync(timing, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  let parsed: { ok: number; failures: Record<string, number> };
  try {
    parsed = client.parse(stdout, dir);
  } catch {
    parsed = { ok: 0, failures: { [`exit ${code}`]: urls } };
    process.stderr.write(`bench: ${client.name} exited ${code}: ${stderr.slice(-500)}\n`);
  }
  // Less the status request itself.
  const connections = (await acceptedConnections(ports)) - acceptedBefore - 1;
  return { client: client.name, urls, ...parsed, wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, peakRssMb: Math.round(maxKb! / 1024), peakFds, connections };
}

interface Scenario {
  readonly name: string;
  readonly origins: number;
  readonly urls: number;
  readonly tls: boolean;
  readonly path: string;
  readonly concurrency: number;
  readonly clients: Client[];
  /**
   * The list's order: `shuffled` across origins (the default), `grouped` by origin (a site's
   * sitemap), or `few-big`: half the URLs on 5 origins, the rest spread over the others, shuffled.
   */
  readonly order?: 'shuffled' | 'grouped' | 'few-big';
  /** batchfetch's --per-origin: 16, as every other client here is configured, unless it runs alone (its default, 6). */
  readonly perOrigin?: number;
  /** Also run each client with a quarter of the URLs, to separate start-up from the per-URL cost. */
  readonly marginal?: boolean;
}

interface ScenarioResult {
  readonly scenario: Scenario;
  readonly runs: Array<{ big: Run; small?: Run }>;
}

function urlList(scenario: Scenario, urls: number, port: number): string[] {
  const scheme = scenario.tls ? 'https' : 'http';
  const url = (o: number, u: number) => `${scheme}://o${o}.batchfetch.test:${port}${scenario.path}?u=${u}`;
  const list: string[] = [];
  if (scenario.order === 'few-big') {
    const big = 5;
    for (let n = 0; n < urls; n++) list.push(n % 2 === 0 ? url(n % big, n) : url(big + (n % (scenario.origins - big)), n));
    return shuffled(list);
  }
  const perOrigin = Math.ceil(urls / scenario.origins);
  for (let o = 0; o < scenario.origins && list.length < urls; o++) {
    for (let u = 0; u < perOrigin && list.length < urls; u++) list.push(url(o, u));
  }
  return scenario.order === 'grouped' ? list : shuffled(list);
}

interface Ports {
  readonly http: number;
  readonly https: number;
}

/** Connections nginx has accepted so far (stub_status). */
async function acceptedConnections(ports: Ports): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ports.http}/nginx-status`)).text();
  return Number(/\n\s*(\d+)\s+\d+\s+\d+/.exec(text)![1]);
}

async function runScenario(scenario: Scenario, ports: Ports, hosts: string, dir: string): Promise<ScenarioResult> {
  const port = scenario.tls ? ports.https : ports.http;
  const big = join(dir, 'big.txt');
  const small = join(dir, 'small.txt');
  await writeLines(big, urlList(scenario, scenario.urls, port));
  const smallUrls = Math.floor(scenario.urls / 4);
  if (scenario.marginal) await writeLines(small, urlList(scenario, smallUrls, port));
  const runs: ScenarioResult['runs'] = [];
  for (const client of scenario.clients) {
    if (client.maxConcurrency !== undefined && scenario.concurrency > client.maxConcurrency) continue;
    const smallRun = scenario.marginal ? await runClient(client, small, smallUrls, scenario, hosts, dir, ports) : undefined;
    const bigRun = await runClient(client, big, scenario.urls, scenario, hosts, dir, ports);
    process.stderr.write(`bench: ${scenario.name} / ${client.name}: ok ${bigRun.ok}/${bigRun.urls}, ${Math.round(bigRun.urls / bigRun.wallMs * 1000)} URLs/s, ` +
      `cpu ${Math.round(bigRun.cpuMs)} ms, connections ${bigRun.connections}, rss ${bigRun.peakRssMb} MB, fds ${bigRun.peakFds} ${JSON.stringify(bigRun.failures)}\n`);
    runs.push({ big: bigRun, ...(smallRun ? { small: smallRun } : {}) });
  }
  return { scenario, runs };
}

function ensureTools(): void {
  aptInstall(['curl'], () => !existsSync('/usr/bin/curl'));
  aptInstall(['time'], () => !existsSync('/usr/bin/time'));
  aptInstall(['python3-aiohttp'], () => spawnOk(PYTHON, ['-c', 'import aiohttp']) === false);
  aptInstall(['python3-scrapy'], () => spawnOk(PYTHON, ['-c', 'import scrapy']) === false);
  if (!existsSync(join(CRAWLEE_DIR, 'node_modules/crawlee'))) {
    // From npm, beside the project rather than in it: batchfetch does not depend on Crawlee.
    process.stderr.write('bench: installing crawlee@3 into .tmp/crawlee\n');
    mkdirSync(CRAWLEE_DIR, { recursive: true });
    spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', CRAWLEE_DIR, 'crawlee@3'], { stdio: 'inherit' });
  }
}

function spawnOk(command: string, args: string[]): boolean {
  return spawnSync(command, args).status === 0;
}

const scaled = (n: number) => Math.max(100, Math.round(n * SCALE));

async function main(): Promise<void> {
  ensureTools();
  const nginx = await startNginx({ tls: { cert: join(ROOT, 'test/fixtures/private-ca-leaf.crt'), key: join(ROOT, 'test/fixtures/private-ca-leaf.key') }, sleep: true });
  const ports = { http: Number(new URL(nginx.base).port), https: nginx.httpsPort! };
  const dir = mkdtempSync(join(tmpdir(), 'batchfetch-origins-'));
  const hosts = join(dir, 'hosts');
  const maxOrigins = Math.max(1_000, MILLION > 0 ? MILLION_ORIGINS : 0);
  await writeLines(hosts, ['127.0.0.1 localhost', ...Array.from({ length: maxOrigins }, (_, i) => `127.0.0.1 o${i}.batchfetch.test`)]);
  // glibc reads /etc/hosts line by line on every lookup: the other clients get a hosts file with
  // only the names their scenario uses (batchfetch parses it once into a map either way).
  const smallHosts = join(dir, 'hosts-1000');
  await writeLines(smallHosts, ['127.0.0.1 localhost', ...Array.from({ length: 1_000 }, (_, i) => `127.0.0.1 o${i}.batchfetch.test`)]);
  // BENCH_CLIENTS=Crawlee,Scrapy runs only those (names as in the table).
  const wanted = process.env.BENCH_CLIENTS?.split(',');
  const all = [batchfetch, undiciRequest, curl, aiohttp, scrapy, crawlee].filter((client) => !wanted || wanted.includes(client.name));
  // The orders added to see connection reuse: batchfetch beside the two that fetch in list order.
  const few = all.filter((client) => client === batchfetch || client === undiciRequest || client === curl);
  const scenarios: Scenario[] = [
    { name: 'one origin, HTTP', origins: 1, urls: scaled(20_000), tls: false, path: '/1k', concurrency: 64, clients: few, marginal: true },
    { name: 'many origins, HTTP', origins: 1_000, urls: scaled(20_000), tls: false, path: '/1k', concurrency: 64, clients: all, marginal: true },
    { name: 'many origins, HTTP, grouped by host', origins: 1_000, urls: scaled(20_000), tls: false, path: '/1k', concurrency: 64, clients: few, order: 'grouped' },
    { name: 'many origins, HTTP, 5 big hosts among 995 small', origins: 1_000, urls: scaled(20_000), tls: false, path: '/1k', concurrency: 64, clients: few },
    { name: 'HTTPS, one origin', origins: 1, urls: scaled(20_000), tls: true, path: '/1k', concurrency: 64, clients: all, marginal: true },
    { name: 'HTTPS, 500 origins', origins: 500, urls: scaled(20_000), tls: true, path: '/1k', concurrency: 64, clients: all, marginal: true },
    ...[64, 128, 256, 512, 896].map((concurrency): Scenario => ({
      name: `100 ms latency, 1,000 origins, in flight ${concurrency}`, origins: 1_000, urls: scaled(concurrency * 40), tls: false, path: '/sleep', concurrency,
      clients: concurrency === 64 || concurrency === 256 ? all : all.filter((client) => client === batchfetch),
    })),
  ];
  const results: ScenarioResult[] = [];
  try {
    // BENCH_ONLY=orders: the list orders and HTTPS over many origins (connections per URL), no latency rows.
    const chosen = ONLY === 'million' ? [] : ONLY === 'orders' ? scenarios.filter((scenario) => scenario.path === '/1k' && scenario.origins > 1 || !scenario.tls && scenario.origins === 1) : scenarios;
    for (const scenario of chosen) results.push(await runScenario(scenario, ports, smallHosts, dir));
    if (MILLION > 0 && all.includes(batchfetch) && ONLY !== 'orders') {
      results.push(await runScenario({
        name: `${MILLION.toLocaleString('en')} URLs over ${MILLION_ORIGINS.toLocaleString('en')} origins`, origins: MILLION_ORIGINS, urls: MILLION,
        tls: false, path: '/1k', concurrency: 256, clients: [batchfetch], order: BENCH_MILLION_ORDER, perOrigin: 6,
      }, ports, hosts, dir));
    }
  } finally {
    nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  report(results);
}

function report(results: ScenarioResult[]): void {
  const f = (n: number, digits = 1) => n.toFixed(digits);
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ` +
      `each client alone on one core under ulimit -n ${DESCRIPTORS}; nginx (1 worker, other core) on loopback; host names through /etc/hosts.`,
    '',
    '| scenario | client | in flight | URLs | OK | failures | URLs/s | CPU µs/URL (marginal) | CPU µs/URL (whole process) | connections | per URL | per origin | peak RSS MB | peak open fds |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { scenario, runs } of results) {
    for (const { big, small } of runs) {
      const marginal = small ? f(((big.cpuMs - small.cpuMs) * 1000) / (big.urls - small.urls)) : '';
      const failures = Object.entries(big.failures).map(([code, n]) => `${code} ${n}`).join(', ') || '—';
      lines.push(`| ${scenario.name} | ${big.client} | ${scenario.concurrency} | ${big.urls} | ${big.ok} | ${failures} | ${Math.round((big.urls / big.wallMs) * 1000)} | ` +
        `${marginal} | ${f((big.cpuMs * 1000) / big.urls)} | ${big.connections} | ${f(big.connections / big.urls, 3)} | ${f(big.connections / scenario.origins, 1)} | ${big.peakRssMb} | ${big.peakFds} |`);
    }
  }
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const name = ONLY ? `many-origins-${ONLY}` : process.env.BENCH_CLIENTS ? `many-origins-${process.env.BENCH_CLIENTS.replaceAll(',', '-')}` : 'many-origins';
  writeFileSync(join(ROOT, `bench/results/${name}.md`), text);
  writeFileSync(join(ROOT, `bench/results/${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
