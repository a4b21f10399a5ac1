import type { JobSummary } from '../lib/jobs/job-summary.ts';

const BAR_WIDTH = 24;

function duration(seconds: number): string {
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 5_400) return `${Math.round(seconds / 60)}m`;
  return `${Math.floor(seconds / 3_600)}h${String(Math.round((seconds % 3_600) / 60)).padStart(2, '0')}m`;
}

/** One status line: `[#######.........] 45% 450/1000 URLs  440 ok  10 failed  12.3/s  ETA 45s  running`. */
function jobProgressLine(job: JobSummary, tty: boolean): string {
  const fraction = job.total > 0 ? Math.min(1, job.done / job.total) : job.status === 'completed' || job.status === 'failed' ? 1 : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = tty ? `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` : '';
  const eta = job.etaSeconds === undefined ? '' : `  ETA ${duration(job.etaSeconds)}`;
  const rate = job.urlsPerSecond > 0 ? `  ${job.urlsPerSecond}/s` : '';
  return `${bar}${Math.floor(fraction * 100)}% ${job.done}/${job.total} URLs  ${job.counts.ok} ok  ${job.counts.failed} failed${rate}${eta}  ${job.status}`;
}

/** The status as a person reads it: the progress line, then failures by code. */
function jobStatusText(job: JobSummary, tty: boolean): string {
  const lines = [`job ${job.jobId}`, jobProgressLine(job, tty)];
  const codes = Object.entries(job.counts.byCode).sort(([, a], [, b]) => b - a);
  if (codes.length > 0) lines.push(`failures: ${codes.map(([code, count]) => `${code} ${count}`).join(', ')}`);
  if (job.invalid > 0) lines.push(`${job.invalid} input lines were invalid and not enqueued`);
  if (job.latencyMs) lines.push(`latency: mean ${job.latencyMs.mean} ms, p50 ≤ ${job.latencyMs.p50} ms, p99 ≤ ${job.latencyMs.p99} ms`);
  if (job.changes) lines.push(changesLine(job.changes));
  if (job.results) lines.push(`results: ${job.results}`);
  if (job.parentJobId) lines.push(`redrive of ${job.parentJobId}`);
  return `${lines.join('\n')}\n`;
}

/** A compared job's change counts, as --json has them: `changes since J1: new 1, unchanged 2, …, missing 0`. */
function changesLine(changes: NonNullable<JobSummary['changes']>): string {
  const { sinceJobId, ...counts } = changes;
  return `changes${sinceJobId ? ` since ${sinceJobId}` : ''}: ${Object.entries(counts).map(([name, count]) => `${name} ${count}`).join(', ')}`;
}

export { jobProgressLine, jobStatusText };
