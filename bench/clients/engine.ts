// The batchfetch engine alone: safe connector, retries, timeouts, caps, stats; no queue.
import { createFetchEngine, LatencyHistogram } from '../../lib/index.ts';
import { report } from './report.ts';

const [base, total, concurrency] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const engine = createFetchEngine({ concurrency, perOrigin: concurrency, allowNetworks: ['127.0.0.0/8'] });
function* requests() {
  for (let i = 0; i < total; i++) yield { url: `${base}/1k?i=${i}` };
}
const started = performance.now();
let ok = 0;
for await (const result of engine.fetchAll(requests())) if (result.ok) ok += 1;
const wallMs = performance.now() - started;
await engine.close();
const latency = new LatencyHistogram();
latency.merge(engine.stats.latency);
report({ client: 'batchfetch engine', requests: total, ok, wallMs, latency });
