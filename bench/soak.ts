// `npm run soak` (opt-in, not part of `npm test`): a long local run against a loopback server
// that injects faults, sampling the run's RSS every second, then checking that every URL has its
// record. SOAK_URLS (default 500,000) sets the size.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const URLS = Number(process.env.SOAK_URLS ?? 500_000);
const faults = { reset: 0, storm: 0, slow: 0 };

const seen = new Set<string>();
const server = createServer((req, res) => {
  const path = req.url ?? '/';
  if (path.startsWith('/reset')) {
    faults.reset += 1;
    req.socket.destroy();
  } else if (path.startsWith('/storm') && !seen.has(path)) {
    faults.storm += 1;
    seen.add(path);
    res.statusCode = 503;
    res.end();
  } else if (path.startsWith('/slow')) {
    faults.slow += 1;
    setTimeout(() => res.end('slow'), 200);
  } else {
    res.end('x'.repeat(1024));
  }
}).listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const dir = mkdtempSync(join(tmpdir(), 'batchfetch-soak-'));
const input = join(dir, 'urls.txt');
const writer = createWriteStream(input);
for (let i = 0; i < URLS; i++) {
  const roll = i % 100;
  const path = roll < 3 ? 'reset' : roll < 6 ? 'storm' : roll < 10 ? 'slow' : 'ok';
  if (!writer.write(`${base}/${path}/${i}\n`)) await once(writer, 'drain');
}
writer.end();
await once(writer, 'finish');

const out = join(dir, 'results.jsonl');
const started = performance.now();
const child = spawn(join(ROOT, 'bin/batchfetch.js'), ['run', input, '--allow-network', '127.0.0.0/8', '--out', out, '--quiet',
  '--retries', '2', '--timeout', '5000', '--summary-json', join(dir, 'summary.json')], { stdio: 'inherit' });
const samples: Array<{ s: number; rssMb: number }> = [];
const sampler = setInterval(() => {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    samples.push({ s: Math.round((performance.now() - started) / 1000), rssMb: Math.round(kb / 1024) });
  } catch {
    // the process has exited
  }
}, 1000);
const [code] = await once(child, 'exit') as [number | null];
clearInterval(sampler);
server.close();

const urls = new Set<string>();
let records = 0;
for await (const line of createInterface({ input: createReadStream(out) })) {
  records += 1;
  urls.add((JSON.parse(line) as { url: string }).url);
}
const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { urlsPerSecond: number; outcomes: Record<string, number>; peakRssMb: number };
const every = Math.max(1, Math.ceil(samples.length / 12));
process.stdout.write([
  `soak: ${URLS.toLocaleString('en')} URLs, exit ${code}, ${summary.urlsPerSecond} URLs/s, peak RSS ${summary.peakRssMb} MB`,
  `faults injected: ${faults.reset} resets, ${faults.storm} 503s, ${faults.slow} slow (200 ms) responses`,
  `records ${records}, distinct URLs ${urls.size}, missing ${URLS - urls.size}, duplicates ${records - urls.size}`,
  `outcomes: ${JSON.stringify(summary.outcomes)}`,
  `RSS over time (s: MB): ${samples.filter((_, i) => i % every === 0).map((x) => `${x.s}: ${x.rssMb}`).join(', ')}`,
  '',
].join('\n'));
rmSync(dir, { recursive: true, force: true });
process.exitCode = URLS - urls.size === 0 && code === 0 ? 0 : 1;
