// Baseline for the many-origin scenarios: raw undici request() over a URL list, one Agent with
// undici's defaults (keep-alive pools per origin, no cap across origins), 16 connections per origin
// like batchfetch, no retries. Prints one JSON line: ok count and failures by error code.
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

const [file, concurrencyText, caFile] = process.argv.slice(2);
const urls = readFileSync(file!, 'utf8').split('\n').filter(Boolean);
const concurrency = Number(concurrencyText);
const agent = new Agent({
  connections: 16,
  pipelining: 1,
  allowH2: false,
  ...(caFile ? { connect: { ca: readFileSync(caFile, 'utf8') } } : {}),
});
const errors: Record<string, number> = {};
let ok = 0;
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < urls.length) {
    const url = new URL(urls[next++]!);
    try {
      const { statusCode, body } = await agent.request({ origin: url.origin, path: url.pathname + url.search, method: 'GET' });
      await body.dump({ limit: Infinity });
      if (statusCode === 200) ok += 1;
      else errors[`HTTP_${statusCode}`] = (errors[`HTTP_${statusCode}`] ?? 0) + 1;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'UNKNOWN';
      errors[code] = (errors[code] ?? 0) + 1;
    }
  }
}));
await agent.destroy();
process.stdout.write(`${JSON.stringify({ ok, errors })}\n`);
