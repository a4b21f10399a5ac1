// Node's global fetch (undici's fetch inside Node), default dispatcher.
import { LatencyHistogram } from '../../lib/index.ts';
import { report, runWorkers } from './report.ts';

const [base, total, concurrency] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const latency = new LatencyHistogram();
const started = performance.now();
const ok = await runWorkers(total, concurrency, async (i) => {
  const response = await fetch(`${base}/1k?i=${i}`);
  await response.arrayBuffer();
  return response.status === 200;
}, latency);
report({ client: 'Node fetch()', requests: total, ok, wallMs: performance.now() - started, latency });
