import type { RunSummary } from '../../lib/index.ts';
import type { HostGateStats } from '../../lib/politeness/host-gate.ts';
import { urls } from '../plural.ts';

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

/** `hosts: a.test waited 40 (3 pushbacks), b.test waited 2`: the hosts that held requests back most. */
function hostsLine(hosts: HostGateStats | undefined): string[] {
  if (!hosts || hosts.topHosts.length === 0) return [];
  const named = hosts.topHosts.slice(0, 3).map((entry) => `${entry.host} waited ${entry.waits}${entry.pushbacks > 0 ? ` (${entry.pushbacks} pushbacks)` : ''}`);
  return [`  politeness: ${hosts.waits} waits for a host, ${hosts.pushbacks} pushbacks; most throttled: ${named.join(', ')}`];
}

/** `changes since the earlier run: changed 3, broke 1, …`, in a fixed order, when the run compared. */
function changesLine(summary: RunSummary): string[] {
  if (summary.changes === undefined) return [];
  const order = ['changed', 'broke', 'recovered', 'new', 'missing', 'still-failing', 'unchanged', 'unknown'];
  const parts = order.map((change) => `${change} ${summary.changes?.[change] ?? 0}`);
  return [`  changes since the earlier run: ${parts.join(', ')}`];
}

/** What to do about outcomes a person can fix with a flag. */
function hints(summary: RunSummary): string[] {
  const blocked = summary.outcomes.BLOCKED_DESTINATION ?? 0;
  if (blocked === 0) return [];
  const all = blocked === summary.urls ? 'every URL was' : `${urls(blocked)} ${blocked === 1 ? 'was' : 'were'}`;
  return [`  hint: ${all} refused as a private, loopback or other blocked destination (BLOCKED_DESTINATION);`
    + ' to fetch such addresses on purpose, allow their range, e.g. --allow-network 127.0.0.0/8'];
}

/** How many connections the run opened, and how many requests went over one kept alive. */
function connectionsLine(summary: RunSummary): string[] {
  if (summary.connectionsOpened === undefined) return [];
  const perUrl = summary.urls > 0 ? ` (${(summary.connectionsOpened / summary.urls).toFixed(3)} per URL)` : '';
  return [`  connections: opened ${summary.connectionsOpened}${perUrl}, reused by ${summary.connectionsReused ?? 0} requests`];
}

/** `certificates: the soonest expires in 10 days`, when records carry `tls` (--tls-info). */
function certificatesLine(summary: RunSummary): string[] {
  const days = summary.certificateDaysLeftMin;
  if (days === undefined) return [];
  return [`  certificates: the soonest ${days < 0 ? `expired ${-days} days ago` : `expires in ${days} days`} (records: tls.daysLeft)`];
}

/** The human summary printed at the end of a run. */
function formatSummary(summary: RunSummary, figures: ProcessFigures, hosts?: HostGateStats): string {
  const outcomes = Object.entries(summary.outcomes).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  const cpuPerUrl = summary.urls > 0 ? Math.round((figures.cpuMs * 1000) / summary.urls) : 0;
  return [
    `batchfetch: ${urls(summary.urls)} in ${(summary.elapsedMs / 1000).toFixed(2)} s (${summary.urlsPerSecond} URLs/s)`,
    `  ok ${summary.ok}, failed ${summary.failed} (error rate ${(summary.errorRate * 100).toFixed(2)}%), retries ${summary.retries}`,
    `  latency ms: p50 ${summary.latencyMs.p50}, p90 ${summary.latencyMs.p90}, p99 ${summary.latencyMs.p99}, max ${summary.latencyMs.max}`,
    `  outcomes: ${outcomes}`,
    ...changesLine(summary),
    ...connectionsLine(summary),
    ...certificatesLine(summary),
    ...hostsLine(hosts),
    ...hints(summary),
    `  process: cpu ${figures.cpuMs} ms (${cpuPerUrl} µs/URL), peak RSS ${figures.peakRssMb} MB`,
    '',
  ].join('\n');
}

export { formatSummary, processFigures };
export type { ProcessFigures };
