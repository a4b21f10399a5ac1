// Baseline: raw undici request() on one keep-alive Agent, no retries, no safety checks.
import { Agent } from 'undici';
import { LatencyHistogram } from '../../lib/index.ts';
import { report, runWorkers } from './report.ts';

const [base, total, concurrency] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const agent = new Agent({ connections: concurrency, pipelining: 1, allowH2: false });
const latency = new LatencyHistogram();
const started = performance.now();
const ok = await runWorkers(total, concurrency, async (i) => {
  const { statusCode, body } = await agent.request({ origin: base, path: `/1k?i=${i}`, method: 'GET' });
  await body.dump({ limit: Infinity });
  return statusCode === 200;
}, latency);
const wallMs = performance.now() - started;
await agent.close();
report({ client: 'undici request()', requests: total, ok, wallMs, latency });
