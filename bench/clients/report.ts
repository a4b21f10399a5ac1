import { LatencyHistogram } from '../../lib/index.ts';

/** Every bench client ends by printing this one JSON line on stdout. */
function report(fields: { client: string; requests: number; ok: number; wallMs: number; latency: LatencyHistogram }): void {
  const usage = process.resourceUsage();
  process.stdout.write(`${JSON.stringify({
    client: fields.client,
    requests: fields.requests,
    ok: fields.ok,
    wallMs: Math.round(fields.wallMs),
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    peakRssMb: Math.round(usage.maxRSS / 1024),
    p50: fields.latency.percentile(0.5),
    p99: fields.latency.percentile(0.99),
  })}\n`);
}

/** Runs `worker` on `concurrency` loops until `total` requests were made. */
async function runWorkers(total: number, concurrency: number, request: (i: number) => Promise<boolean>, latency: LatencyHistogram): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const started = performance.now();
      if (await request(i)) ok += 1;
      latency.record(performance.now() - started);
    }
  }));
  return ok;
}

export { report, runWorkers };
