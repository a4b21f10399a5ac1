// `npm run bench:refetch`: a list fetched again. BENCH_URLS (100,000) pages of BENCH_BODY_BYTES
// (32 KiB: HTML pages, not API answers; 4096 shows the small-page case) on a loopback server that honours validators (bench/servers/versioned-pages.ts, its own
// process on CPU 0; each run of `batchfetch run` on CPU 1). The first run hashes bodies
// (`--body hash`); then 10 % of the pages change and 1 % break; then the list is fetched again
// with `--since` the first run (conditional requests, change classes) and again without it,
// alternately, BENCH_ROUNDS (3) times each (this VM's CPU figures move by ±20 % between runs:
// the median of each is reported, with the range, and their ratio per round). Reports
// whole-process CPU per URL, URLs/s, the bytes the server wrote (headers and bodies) and the
// change counts. Results go to bench/results/refetch.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const URLS = Number(process.env.BENCH_URLS ?? 100_000);
const BODY_BYTES = Number(process.env.BENCH_BODY_BYTES ?? 32_768);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const pinned = (cpu: number) => (existsSync('/usr/bin/taskset') && cpus().length > 1 ? ['/usr/bin/taskset', '-c', String(cpu)] : []);

interface Summary {
  readonly urls: number;
  readonly ok: number;
  readonly elapsedMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly changes?: Record<string, number>;
}

function run(command: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command.join(' ')} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), `batchfetch-refetch-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const serverCommand = [...pinned(0), process.execPath, join(ROOT, 'bench/servers/versioned-pages.ts'), String(URLS), String(BODY_BYTES)];
  const server = spawn(serverCommand[0]!, serverCommand.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => server.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
    const base = `http://127.0.0.1:${port}`;
    const list = join(dir, 'urls.txt');
    writeFileSync(list, Array.from({ length: URLS }, (_, i) => `${base}/p/${i}`).join('\n'));
    const control = async (path: string, method = 'POST') => (await fetch(`${base}${path}`, { method })).text();

    const fetchRun = async (name: string, extra: string[]) => {
      await control('/reset-stats');
      const summaryPath = join(dir, `${name}.summary.json`);
      await run([...pinned(1), join(ROOT, 'bin/batchfetch.js'), 'run', list, '--allow-network', '127.0.0.0/8', '--retries', '0',
        '--out', join(dir, `${name}.jsonl`), '--quiet', '--summary-json', summaryPath, ...extra]);
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary;
      const { socketBytes } = JSON.parse(await control('/stats', 'GET')) as { socketBytes: number };
      return { name, summary, socketBytes };
    };

    const first = await fetchRun('first', ['--body', 'hash']);
    await control('/mutate?changed=10&broken=1');
    const compared: Array<Awaited<ReturnType<typeof fetchRun>>> = [];
    const plain: Array<Awaited<ReturnType<typeof fetchRun>>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      compared.push(await fetchRun('compared', ['--since', join(dir, 'first.jsonl'), '--changes', join(dir, 'changes.jsonl')]));
      plain.push(await fetchRun('plain', []));
    }
    const cpuPerUrl = (run: { summary: Summary }) => (run.summary.cpuMs * 1000) / run.summary.urls;
    const ratios = compared.map((run, i) => cpuPerUrl(run) / cpuPerUrl(plain[i]!));
    const medianRun = (runs: typeof compared) => runs.find((run) => cpuPerUrl(run) === median(runs.map(cpuPerUrl)))!;
    const range = (runs: typeof compared) => `${Math.min(...runs.map(cpuPerUrl)).toFixed(1)}–${Math.max(...runs.map(cpuPerUrl)).toFixed(1)}`;

    const rows = [
      ['first run (`--body hash`)', first, '—'],
      ['re-run with `--since` (10 % changed, 1 % broken), median', medianRun(compared), range(compared)],
      ['re-run without comparison, median', medianRun(plain), range(plain)],
    ] as const;
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; ${URLS} URLs of ${BODY_BYTES}-byte pages on one loopback origin; server and client each pinned to a core.`,
      '',
      '| run | URLs | OK | CPU µs/URL (whole process) | range over rounds | URLs/s | bytes from the server | bytes / first run | peak RSS MB | changes |',
      '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
      ...rows.map(([label, { summary, socketBytes }, spread]) => {
        const changes = summary.changes ? Object.entries(summary.changes).map(([k, v]) => `${k} ${v}`).join(', ') : '—';
        return `| ${label} | ${summary.urls} | ${summary.ok} | ${((summary.cpuMs * 1000) / summary.urls).toFixed(1)} | ${spread} | ${Math.round(summary.urls / (summary.elapsedMs / 1000))} `
          + `| ${socketBytes} | ${(socketBytes / first.socketBytes * 100).toFixed(1)} % | ${summary.peakRssMb} | ${changes} |`;
      }),
      '',
      `- CPU per URL, re-run with \`--since\` / without, per round: ${ratios.map((ratio) => `${ratio.toFixed(2)}×`).join(', ')} (median ${median(ratios).toFixed(2)}×)`,
    ];
    const text = `${lines.join('\n')}\n`;
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/refetch.md'), text);
    process.stdout.write(text);
  } finally {
    server.kill('SIGTERM');
  }
}

await main();
