// The batchfetch engine alone: safe connector, retries, timeouts, caps, stats; no queue.
import { createFetchEngine, RunStats } from '../../lib/index.ts';
import { report } from './report.ts';

const [base, total, concurrency] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const engine = createFetchEngine({ concurrency, perOrigin: concurrency, allowNetworks: ['127.0.0.0/8'] });
function* requests() {
  for (let i = 0; i < total; i++) yield { url: `${base}/1k?i=${i}` };
}
const started = performance.now();
const stats = new RunStats();
for await (const result of engine.fetchAll(requests())) stats.record(result);
const wallMs = performance.now() - started;
await engine.close();
report({ client: 'batchfetch engine', requests: total, ok: stats.ok, wallMs, latency: stats.latency });
