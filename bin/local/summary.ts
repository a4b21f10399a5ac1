import type { RunSummary } from '../../lib/index.ts';

interface ProcessFigures {
  readonly cpuMs: number;
  readonly peakRssMb: number;
}

function processFigures(): ProcessFigures {
  const usage = process.resourceUsage();
  return {
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    peakRssMb: Math.round(usage.maxRSS / 1024),
  };
}

/** The human summary printed at the end of a run. */
function formatSummary(summary: RunSummary, figures: ProcessFigures): string {
  const outcomes = Object.entries(summary.outcomes).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  const cpuPerUrl = summary.urls > 0 ? Math.round((figures.cpuMs * 1000) / summary.urls) : 0;
  return [
    `batchfetch: ${summary.urls} URLs in ${(summary.elapsedMs / 1000).toFixed(2)} s (${summary.urlsPerSecond} URLs/s)`,
    `  ok ${summary.ok}, failed ${summary.failed} (error rate ${(summary.errorRate * 100).toFixed(2)}%), retries ${summary.retries}`,
    `  latency ms: p50 ${summary.latencyMs.p50}, p90 ${summary.latencyMs.p90}, p99 ${summary.latencyMs.p99}, max ${summary.latencyMs.max}`,
    `  outcomes: ${outcomes}`,
    `  process: cpu ${figures.cpuMs} ms (${cpuPerUrl} µs/URL), peak RSS ${figures.peakRssMb} MB`,
    '',
  ].join('\n');
}

export { formatSummary, processFigures };
export type { ProcessFigures };
