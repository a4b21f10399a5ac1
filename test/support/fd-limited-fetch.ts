// Run as a child process (under `ulimit -n`) by the connection-budget tests: fetches many origins,
// all mapped to one loopback server through the engine's resolver hook, and prints one JSON line:
// outcomes by code, the peak count of open descriptors and of sockets opened while fetching, and the budget's own stats.
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { createFetchEngine, type FetchRequest } from '../../lib/index.ts';

interface Job {
  readonly port: number;
  readonly origins: number;
  readonly urlsPerOrigin: number;
  readonly concurrency: number;
  readonly maxSockets?: number;
  readonly timeoutMs?: number;
  /** Leave only this many descriptors free (the rest held open on /dev/null) before fetching. */
  readonly leaveFree?: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const engine = createFetchEngine({
  concurrency: job.concurrency,
  ...(job.maxSockets ? { maxSockets: job.maxSockets } : {}),
  ...(job.timeoutMs ? { timeoutMs: job.timeoutMs } : {}),
  retries: 0,
  allowNetworks: ['127.0.0.0/8'],
  dnsResolve: async () => [{ address: '127.0.0.1', family: 4 }],
});

let peakFds = 0;
let peakSockets = 0;
/** Sockets the process holds before fetching (stdio socketpairs from spawn): not the engine's. */
let baselineSockets = 0;
function sample(): void {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return; // no descriptor left for the directory itself: the sample is skipped
  }
  let sockets = 0;
  for (const name of names) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`).startsWith('socket:')) sockets += 1;
    } catch {
      // closed between readdir and readlink
    }
  }
  peakFds = Math.max(peakFds, names.length);
  peakSockets = Math.max(peakSockets, sockets - baselineSockets);
}

if (job.leaveFree !== undefined) {
  // A warm process: run from sources, undici reads its HTTP parser from disk on the first connect
  // (in the esbuild bundles it is inlined), which would need a descriptor of its own.
  // A separate engine, closed at once, so no idle socket of the warm-up is left to give back.
  const warm = createFetchEngine({ allowNetworks: ['127.0.0.0/8'] });
  await warm.fetch({ url: `http://127.0.0.1:${job.port}/slow` });
  await warm.destroy();
  const held: number[] = [];
  try {
    for (;;) held.push(openSync('/dev/null', 'r'));
  } catch {
    // EMFILE: every descriptor is taken; give back the ones to leave free
  }
  for (const fd of held.splice(held.length - job.leaveFree)) closeSync(fd);
}

sample();
baselineSockets = peakSockets;
peakSockets = 0;
const sampler = setInterval(sample, 5);
const requests: FetchRequest[] = [];
for (let u = 0; u < job.urlsPerOrigin; u += 1) {
  for (let o = 0; o < job.origins; o += 1) requests.push({ url: `http://o${o}.test:${job.port}/slow?u=${u}` });
}
const byCode: Record<string, number> = {};
for await (const result of engine.fetchAll(requests)) {
  const code = result.error?.code ?? 'OK';
  byCode[code] = (byCode[code] ?? 0) + 1;
}
clearInterval(sampler);
sample();
const stats = engine.socketStats;
await engine.destroy();
process.stdout.write(`${JSON.stringify({ byCode, peakFds, peakSockets, maxSockets: engine.options.maxSockets, descriptorLimit: engine.options.descriptorLimit, stats })}\n`);
