import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import { BatchfetchError, ErrorCode } from '../core/errors.ts';
import { invalidResult } from '../input/invalid-result.ts';
import { parseQueueMessage, type ParsedMessage } from '../schemas/queue-message.ts';
import type { ResultOrigin, ResultSink } from '../sinks/result-sink.ts';
import { planContinuation, type Continuation } from '../queue/continuation.ts';
import { assertSqsEvent } from './sqs-event-shape.ts';
import type { ContinuedUrl, JobStore } from '../jobs/job-store.ts';
import type { JobSummary } from '../jobs/job-summary.ts';
import { JobTally } from '../jobs/job-tally.ts';

interface BatchLogger {
  warn(message: string, fields: Record<string, unknown>): void;
}

interface BatchDependencies {
  readonly engine: FetchEngine;
  readonly sink: ResultSink;
  /** The invocation's deadline: no fetch starts after it, fetches in flight are aborted. */
  readonly signal?: AbortSignal;
  /**
   * When true, URLs cut off by `signal` get final `ABORTED` records and their message is
   * acknowledged (the local run's Ctrl-C or `--deadline`). When false (Lambda), see `continuation`.
   * @default false
   */
  readonly abortedIsFinal?: boolean;
  /**
   * Where unfinished URLs go when the deadline cuts a record short: the rest is sent as a new
   * message one hop further (attempt counts carried) and the record is acknowledged. Without one,
   * or past `maxHops`, the cut-off URLs end as `ABORTED` records: every URL keeps exactly one record.
   */
  readonly continuation?: Continuation;
  /** Attempts per URL across all invocations; a URL past it ends as ATTEMPTS_EXHAUSTED. @default engine retries + 1 */
  readonly maxAttemptsPerUrl?: number;
  readonly logger?: BatchLogger;
  /** Receives what happened in this batch, for metrics. */
  readonly onReport?: (report: BatchReport) => void;
  /** Job accounting, for messages that belong to a job (a `job` field). Without it they are fetched as any other. */
  readonly jobs?: Pick<JobStore, 'counted' | 'count'>;
  /** Called once for a job this batch completed (the completion is detected exactly once, fleet-wide). */
  readonly onJobCompleted?: (summary: JobSummary) => Promise<void>;
}

/** A final result as metrics see it: the record without its body. */
type ResultSummary = Omit<FetchResult, 'body'>;

interface BatchReport {
  /** Every final result written by this batch (bodies left out). */
  readonly results: ResultSummary[];
  /** URLs handed on in continuation messages. */
  continuedUrls: number;
  /** URLs whose message had been delivered before (ApproximateReceiveCount > 1). */
  redeliveredUrls: number;
  /** Records reported as failed. */
  failedRecords: number;
  /** Jobs completed by this batch, with their final status. */
  readonly jobsFinished: JobSummary[];
  /** Requests of this batch that waited for their host (a limit, a pause, no token). */
  hostWaits: number;
  /** Times a host pushed back (429, 503, Retry-After) during this batch. */
  hostPushbacks: number;
}

/** One SQS record on its way to being acknowledged: its URLs' results are written as they finish. */
interface RecordProgress {
  readonly record: SQSRecord;
  readonly origin: ResultOrigin;
  readonly message: ParsedMessage | { readonly error: string };
  /** URLs the deadline cut off: their index in the message and the attempts they have spent. */
  readonly cutOff: { readonly index: number; readonly result: FetchResult }[];
  /** The message's contribution to its job, when it belongs to one. */
  readonly tally?: JobTally;
  /** Set when the job had counted this message already: what its continuation carried. */
  replay?: readonly ContinuedUrl[];
  /** Writes not yet settled, and who waits for them to reach zero. */
  writing: number;
  allWritten?: () => void;
  writeError?: Error;
}

/**
 * Results being written but not yet durable, per permit of the engine: past it a fetch waits for
 * its own write before taking the next URL, so a slow disk or bucket slows fetching instead of
 * piling records up in memory.
 */
const WRITES_AHEAD_PER_PERMIT = 4;

/**
 * The SQS consumer's core, shared by the Lambda handler, the local run and the worker. Fetches
 * every URL of every record through one engine and writes each result as soon as it is final
 * (memory stays bounded whatever the batch size and body mode). A record is acknowledged only
 * once each of its URLs has a durable result (or, after a deadline, is handed on in a
 * continuation message). Failed records are returned as `batchItemFailures`; it never throws after
 * partial work, and identifiers always come from the event.
 */
async function processSqsBatch(event: SQSEvent, deps: BatchDependencies): Promise<SQSBatchResponse> {
  assertSqsEvent(event);
  const failures: SQSBatchItemFailure[] = [];
  const report: BatchReport = { results: [], continuedUrls: 0, redeliveredUrls: 0, failedRecords: 0, jobsFinished: [], hostWaits: 0, hostPushbacks: 0 };
  const hostsBefore = deps.engine.hostStats;
  const maxAttempts = deps.maxAttemptsPerUrl ?? deps.engine.options.retries + 1;
  const records = event.Records.map((record) => plan(record, report, deps));
  await Promise.all(records.map((progress) => findReplay(progress, deps)));

  // One promise per URL: `then` settles the record's count whether the write succeeded or not.
  const write = (progress: RecordProgress, result: FetchResult): Promise<void> => {
    report.results.push(result.body === undefined ? result : withoutBody(result));
    progress.tally?.record(result);
    progress.writing += 1;
    const settled = () => {
      progress.writing -= 1;
      if (progress.writing === 0) progress.allWritten?.();
    };
    return deps.sink.write([result], progress.origin).then(settled, (error: unknown) => {
      progress.writeError ??= error as Error;
      settled();
    });
  };
  const work: { readonly request: FetchRequest; readonly index: number; readonly progress: RecordProgress }[] = [];
  for (const progress of records) {
    if ('error' in progress.message || progress.replay) continue;
    progress.message.requests.forEach((request, index) => {
      if ((request.priorAttempts ?? 0) < maxAttempts) work.push({ request, index, progress });
      else void write(progress, exhausted(request));
    });
  }
  await fetchBounded(work, deps, ({ index, progress }, result) => {
    if (result.error?.code === ErrorCode.ABORTED && !deps.abortedIsFinal) {
      progress.cutOff.push({ index, result });
      return undefined;
    }
    return write(progress, result);
  });

  await Promise.all(records.map(async (progress) => {
    const { record, message } = progress;
    const fail = (reason: string, fields: Record<string, unknown> = {}) => {
      deps.logger?.warn('message not acknowledged; SQS will deliver it again', { messageId: record.messageId, reason, ...fields });
      failures.push({ itemIdentifier: record.messageId });
      report.failedRecords += 1;
      deps.sink.discard?.(progress.origin);
    };
    if ('error' in message) {
      fail(message.error);
      return;
    }
    let handOn = progress.replay ?? await settleCutOff(progress, message, deps, write);
    if (!progress.replay) {
      if (progress.writing > 0) await new Promise<void>((resolve) => { progress.allWritten = resolve; });
      if (progress.writeError) {
        fail('results could not be written; URLs of this message already written may be written again', { error: progress.writeError.message });
        return;
      }
      try {
        await deps.sink.complete?.(progress.origin);
      } catch (error) {
        fail('results could not be stored', { error: (error as Error).message });
        return;
      }
      try {
        handOn = await countForJob(progress, message, handOn, deps, report);
      } catch (error) {
        fail('the job could not be updated', { error: (error as Error).message });
        return;
      }
    }
    if (handOn.length === 0) return;
    const requests = handOn.map(([index, attempts]) => ({ ...message.requests[index]!, priorAttempts: attempts }));
    try {
      await planContinuation(deps.continuation!, requests, message);
      report.continuedUrls += requests.length;
    } catch (error) {
      fail('continuation could not be sent; finished URLs of this message may be fetched again', { error: (error as Error).message });
    }
  }));
  const hostsAfter = deps.engine.hostStats;
  report.hostWaits = hostsAfter.waits - hostsBefore.waits;
  report.hostPushbacks = hostsAfter.pushbacks - hostsBefore.pushbacks;
  deps.onReport?.(report);
  return { batchItemFailures: failures };
}

/**
 * A message its job has counted already (a redelivery after the consumer died before deleting
 * it, or a duplicate send) is not fetched again: only its recorded continuation, if it had one,
 * is sent again. A failed lookup fetches it as usual (the count itself is conditional).
 */
async function findReplay(progress: RecordProgress, deps: BatchDependencies): Promise<void> {
  const message = progress.message;
  if (!deps.jobs || 'error' in message || !message.job) return;
  try {
    const prior = await deps.jobs.counted(message.job);
    if (prior.counted) progress.replay = prior.continued;
  } catch (error) {
    deps.logger?.warn('job lookup failed; fetching the message', { messageId: progress.record.messageId, error: (error as Error).message });
  }
}

/**
 * Adds the message's tally to its job, once. Returns the URLs to hand on: its own cut-off URLs,
 * or, when another delivery of the same message was counted first, the ones that one recorded.
 */
async function countForJob(
  progress: RecordProgress,
  message: ParsedMessage,
  handOn: readonly ContinuedUrl[],
  deps: BatchDependencies,
  report: BatchReport,
): Promise<readonly ContinuedUrl[]> {
  if (!deps.jobs || !message.job || !progress.tally) return handOn;
  const { outcome, completed } = await deps.jobs.count(message.job, progress.tally, handOn);
  if (completed) {
    report.jobsFinished.push(completed);
    await deps.onJobCompleted?.(completed).catch((error: unknown) => {
      deps.logger?.warn('job completed, but its completion could not be announced', { jobId: completed.jobId, error: (error as Error).message });
    });
  }
  if (outcome === 'counted') return handOn;
  const prior = await deps.jobs.counted(message.job);
  return prior.counted ? prior.continued : handOn;
}

/**
 * What becomes of a record's URLs the deadline cut off: handed on in a continuation (returned),
 * or, with no continuation or none left (`maxHops`), written as final `ABORTED` records — its
 * other URLs already have records, and a redelivery would write those twice.
 */
async function settleCutOff(
  progress: RecordProgress,
  message: ParsedMessage,
  deps: BatchDependencies,
  write: (progress: RecordProgress, result: FetchResult) => Promise<void>,
): Promise<ContinuedUrl[]> {
  if (progress.cutOff.length === 0) return [];
  if (deps.continuation && message.hop < deps.continuation.maxHops) {
    return progress.cutOff.map(({ index, result }) => [index, result.attempts] as const);
  }
  const why = deps.continuation
    ? `cut off by the invocation deadline after ${message.hop} continuations (the most allowed)`
    : 'cut off by the invocation deadline, with no continuation queue to carry it on';
  await Promise.all(progress.cutOff.map(({ result }) =>
    write(progress, { ...result, error: { code: ErrorCode.ABORTED, message: why } })));
  return [];
}

/**
 * Parses a record. A redelivered message is fetched again with the attempts its requests carry:
 * redeliveries are bounded by the queue's maxReceiveCount (then the DLQ), and counting each
 * delivery as an attempt would turn a harmless duplicate delivery into ATTEMPTS_EXHAUSTED
 * records overwriting good ones.
 */
function plan(record: SQSRecord, report: BatchReport, deps: BatchDependencies): RecordProgress {
  const message = parseQueueMessage(record.body);
  if (!('error' in message) && Number(record.attributes?.ApproximateReceiveCount ?? 1) > 1) {
    report.redeliveredUrls += message.requests.length;
  }
  const job = 'error' in message ? undefined : message.job;
  return {
    record,
    origin: job ? { messageId: record.messageId, job } : { messageId: record.messageId },
    message,
    writing: 0,
    cutOff: [],
    ...(job && deps.jobs ? { tally: new JobTally() } : {}),
  };
}

function withoutBody({ body: _body, ...summary }: FetchResult): ResultSummary {
  return summary;
}

function exhausted(request: FetchRequest): FetchResult {
  return invalidResult(request, new BatchfetchError(ErrorCode.ATTEMPTS_EXHAUSTED,
    `no attempts left after ${request.priorAttempts ?? 0} in earlier invocations`));
}

/**
 * Fetches every item, starting a URL whenever fewer than `concurrency` of those in progress are
 * active: a URL waiting for its host's turn (a paused or rate-limited host) or for a retry holds
 * no permit, so another starts in its place and other hosts keep their throughput. Not one
 * promise per URL up front: a batch of 10 messages x 1,000 URLs would otherwise keep 10,000
 * pending fetches alive at once, which the bench showed as V8 young-generation growth (peak RSS)
 * and GC time. Each result goes to `settle` at once; past the writes-ahead bound a URL's slot is
 * freed only once its write is done.
 */
function fetchBounded<T extends { readonly request: FetchRequest }>(
  items: readonly T[],
  deps: BatchDependencies,
  settle: (item: T, result: FetchResult) => Promise<void> | undefined,
): Promise<void> {
  const { engine } = deps;
  const maxWritesAhead = engine.options.concurrency * WRITES_AHEAD_PER_PERMIT;
  let writesAhead = 0;
  const writeSettled = () => { writesAhead -= 1; };
  let next = 0;
  let inProgress = 0;
  return new Promise<void>((resolve) => {
    if (items.length === 0) {
      resolve();
      return;
    }
    const finished = () => {
      inProgress -= 1;
      if (next >= items.length && inProgress === 0) {
        unwatch();
        resolve();
      } else {
        start();
      }
    };
    const run = async (item: T) => {
      const written = settle(item, await engine.fetch(item.request, deps.signal));
      if (written === undefined) return;
      writesAhead += 1;
      if (writesAhead <= maxWritesAhead) {
        void written.then(writeSettled);
        return;
      }
      await written;
      writeSettled();
    };
    const start = () => {
      while (next < items.length && engine.mayStartAnother(inProgress)) {
        inProgress += 1;
        void run(items[next++]!).then(finished);
      }
    };
    const unwatch = engine.watchWaiting(start);
    start();
  });
}

export { processSqsBatch };
export type { BatchDependencies, BatchLogger, BatchReport };
