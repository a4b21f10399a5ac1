import { ChangeClass } from '../engine/change.ts';
import { quantileOf } from './job-tally.ts';

type JobStatus = 'enqueuing' | 'running' | 'completed' | 'failed';

/** A job as `batchfetch job status --json` prints it and the completion event carries it. */
interface JobSummary {
  readonly jobId: string;
  readonly status: JobStatus;
  /** URLs enqueued (known once enqueuing ended; until then, those sent so far). */
  readonly total: number;
  /** URLs with their final record. */
  readonly done: number;
  readonly counts: { readonly ok: number; readonly failed: number; readonly byCode: Readonly<Record<string, number>> };
  readonly bytes: number;
  readonly latencyMs: { readonly mean: number; readonly p50?: number; readonly p90?: number; readonly p99?: number } | null;
  /** Input lines refused at enqueue (never sent, not in `total`). */
  readonly invalid: number;
  readonly messages: number;
  readonly createdAt: string;
  readonly firstResultAt?: string;
  readonly lastResultAt?: string;
  readonly completedAt?: string;
  /** When the job's end was written (summary, manifest, change report) and announced. */
  readonly announcedAt?: string;
  /** Final records per second between the first and the last one. */
  readonly urlsPerSecond: number;
  /** Seconds left at that rate; absent when unknown or finished. */
  readonly etaSeconds?: number;
  readonly toleratedFailurePercentage?: number;
  readonly parentJobId?: string;
  /** Where the records are (`s3://bucket/prefix/`), when a results bucket is configured. */
  readonly results?: string;
  /** The schedule that started the job. */
  readonly schedule?: string;
  /**
   * For a job that compares with an earlier one: the earlier job, and its final records by change
   * class (`ChangeClass`; a class no record had is 0), with `missing`, the earlier job's URLs
   * this list no longer has.
   */
  readonly changes?: JobChanges;
}

interface JobChanges {
  readonly sinceJobId?: string;
  readonly new: number;
  readonly unchanged: number;
  readonly changed: number;
  readonly broke: number;
  readonly recovered: number;
  readonly 'still-failing': number;
  readonly unknown: number;
  readonly missing: number;
}

/** The figures a job's shard items add up to. */
interface ShardTotals {
  finals: number;
  ok: number;
  bytes: number;
  codes: Map<string, number>;
  changes: Map<string, number>;
  latencyCount: number;
  latencySumMs: number;
  latencyBuckets: Map<number, number>;
  firstAt?: string;
  lastAt?: string;
}

function emptyTotals(): ShardTotals {
  return { finals: 0, ok: 0, bytes: 0, codes: new Map(), changes: new Map(), latencyCount: 0, latencySumMs: 0, latencyBuckets: new Map() };
}

interface JobHeader {
  readonly jobId: string;
  readonly status: JobStatus;
  readonly total: number;
  readonly invalid: number;
  readonly messages: number;
  readonly createdAt: string;
  readonly completedAt?: string;
  readonly announcedAt?: string;
  readonly toleratedFailurePercentage?: number;
  readonly parentJobId?: string;
  readonly results?: string;
  readonly compared?: { readonly sinceJobId?: string; readonly missing: number };
  readonly schedule?: string;
}

function changesOf(compared: NonNullable<JobHeader['compared']>, counts: ReadonlyMap<string, number>): JobChanges {
  const count = (change: ChangeClass) => counts.get(change) ?? 0;
  return {
    ...(compared.sinceJobId ? { sinceJobId: compared.sinceJobId } : {}),
    new: count(ChangeClass.NEW),
    unchanged: count(ChangeClass.UNCHANGED),
    changed: count(ChangeClass.CHANGED),
    broke: count(ChangeClass.BROKE),
    recovered: count(ChangeClass.RECOVERED),
    'still-failing': count(ChangeClass.STILL_FAILING),
    unknown: count(ChangeClass.UNKNOWN),
    missing: compared.missing,
  };
}

function summarize(header: JobHeader, totals: ShardTotals): JobSummary {
  const elapsedS = totals.firstAt && totals.lastAt ? (Date.parse(totals.lastAt) - Date.parse(totals.firstAt)) / 1000 : 0;
  const urlsPerSecond = elapsedS > 0 ? Math.round((totals.finals / elapsedS) * 10) / 10 : 0;
  const left = header.total - totals.finals;
  const finished = header.status === 'completed' || header.status === 'failed';
  const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 10) / 10);
  return {
    jobId: header.jobId,
    status: header.status,
    total: header.total,
    done: totals.finals,
    counts: { ok: totals.ok, failed: totals.finals - totals.ok, byCode: Object.fromEntries([...totals.codes].sort(([a], [b]) => a.localeCompare(b))) },
    bytes: totals.bytes,
    latencyMs: totals.latencyCount === 0 ? null : {
      mean: round(totals.latencySumMs / totals.latencyCount)!,
      p50: quantileOf(totals.latencyBuckets, 0.5),
      p90: quantileOf(totals.latencyBuckets, 0.9),
      p99: quantileOf(totals.latencyBuckets, 0.99),
    },
    invalid: header.invalid,
    messages: header.messages,
    createdAt: header.createdAt,
    ...(totals.firstAt ? { firstResultAt: totals.firstAt } : {}),
    ...(totals.lastAt ? { lastResultAt: totals.lastAt } : {}),
    ...(header.completedAt ? { completedAt: header.completedAt } : {}),
    ...(header.announcedAt ? { announcedAt: header.announcedAt } : {}),
    urlsPerSecond,
    ...(!finished && urlsPerSecond > 0 && header.status === 'running' ? { etaSeconds: Math.ceil(left / urlsPerSecond) } : {}),
    ...(header.toleratedFailurePercentage === undefined ? {} : { toleratedFailurePercentage: header.toleratedFailurePercentage }),
    ...(header.parentJobId ? { parentJobId: header.parentJobId } : {}),
    ...(header.results ? { results: header.results } : {}),
    ...(header.schedule ? { schedule: header.schedule } : {}),
    ...(header.compared ? { changes: changesOf(header.compared, totals.changes) } : {}),
  };
}

/** Whether a finished job passed its tolerated failure percentage (Step Functions' rule: more than it fails). */
function finalStatus(header: JobHeader, totals: ShardTotals): 'completed' | 'failed' {
  if (header.toleratedFailurePercentage === undefined || header.total === 0) return 'completed';
  const failedPercent = ((totals.finals - totals.ok) / header.total) * 100;
  return failedPercent > header.toleratedFailurePercentage ? 'failed' : 'completed';
}

export { emptyTotals, finalStatus, summarize };
export type { JobChanges, JobHeader, JobStatus, JobSummary, ShardTotals };
