// Floor: undici's low-level dispatch() with a minimal handler that counts body bytes.
import { Agent, type Dispatcher } from 'undici';
import { LatencyHistogram } from '../../lib/index.ts';
import { report, runWorkers } from './report.ts';

const [base, total, concurrency] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const agent = new Agent({ connections: concurrency, pipelining: 1, allowH2: false });
const latency = new LatencyHistogram();

function get(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_controller, statusCode) { status = statusCode; },
      onResponseData() {},
      onResponseEnd() { resolve(status === 200); },
      onResponseError(_controller, error) { reject(error); },
    };
    agent.dispatch({ origin: base, path, method: 'GET' }, handler);
  });
}

const started = performance.now();
const ok = await runWorkers(total, concurrency, (i) => get(`/1k?i=${i}`), latency);
const wallMs = performance.now() - started;
await agent.close();
report({ client: 'undici dispatch()', requests: total, ok, wallMs, latency });
