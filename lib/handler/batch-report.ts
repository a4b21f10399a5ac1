import type { FetchResult } from '../engine/fetch-types.ts';
import type { JobSummary } from '../jobs/job-summary.ts';
import { fetchedHere, RunStats } from '../stats/run-stats.ts';

/** What happened in one batch, for metrics: counts, never the results themselves. */
interface BatchReport {
  /** The final results this batch wrote, counted by outcome (URLs, ok, retries, bytes, codes). */
  readonly results: RunStats;
  /** The latency of each URL fetched here, ms: CloudWatch computes percentiles from raw values. */
  readonly latenciesMs: number[];
  /** URLs handed on in continuation messages. */
  continuedUrls: number;
  /** URLs whose message had been delivered before (ApproximateReceiveCount > 1). */
  redeliveredUrls: number;
  /** Records reported as failed, and by reason (handler/failure-reason.ts). */
  failedRecords: number;
  readonly failedByReason: Map<string, number>;
  /** Jobs completed by this batch, with their final status. */
  readonly jobsFinished: JobSummary[];
  /** Requests of this batch that waited for their host (a limit, a pause, no token). */
  hostWaits: number;
  /** Times a host pushed back (429, 503, Retry-After) during this batch. */
  hostPushbacks: number;
  /** Connections the engine opened, and requests it sent on kept-alive ones, during this batch (with any other batch of the engine at the same time). */
  connectionsOpened: number;
  connectionsReused: number;
}

function newBatchReport(): BatchReport {
  return { results: new RunStats(), latenciesMs: [], continuedUrls: 0, redeliveredUrls: 0, failedRecords: 0, failedByReason: new Map(), jobsFinished: [], hostWaits: 0, hostPushbacks: 0, connectionsOpened: 0, connectionsReused: 0 };
}

/** Counts a final result written by the batch. */
function countResult(report: BatchReport, result: FetchResult): void {
  report.results.record(result);
  if (fetchedHere(result)) report.latenciesMs.push(result.latencyMs);
}

export { countResult, newBatchReport };
export type { BatchReport };
