import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ErrorCode } from '../core/errors.ts';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import { withChange } from '../engine/change.ts';
import type { FetchRequest, FetchResult, PreviousRecord } from '../engine/fetch-types.ts';
import type { ContinuedUrl, JobStore } from '../jobs/job-store.ts';
import type { JobSummary } from '../jobs/job-summary.ts';
import { planContinuation, type Continuation } from '../queue/continuation.ts';
import type { ParsedMessage } from '../schemas/queue-message.ts';
import type { ResultSink } from '../sinks/result-sink.ts';
import { storeResults } from './store-results.ts';
import { countResult, newBatchReport, type BatchReport } from './batch-report.ts';
import { exhausted, isRedelivery, recordProgress, type RecordProgress, type RecordUrl } from './record-progress.ts';
import { assertSqsEvent } from './sqs-event-shape.ts';

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
  readonly jobs?: Pick<JobStore, 'counted' | 'count' | 'summary'>;
  /** Called once for a job this batch completed (the completion is detected exactly once, fleet-wide). */
  readonly onJobCompleted?: (summary: JobSummary) => Promise<void>;
  /**
   * The earlier run's records, when this run compares with one (`run --since`): each request
   * whose message did not carry its `previous` record gets it from here (the message stays in its
   * compact form), so it is fetched conditionally and its record gets a change class.
   */
  readonly earlier?: EarlierRecords;
}

interface EarlierRecords {
  /** The earlier run's record of the request's URL (and id), or null when it had none. */
  previousOf(request: FetchRequest): PreviousRecord | null;
}

/**
 * Results being written but not yet durable, per permit of the engine: past it the batch waits
 * for a write before taking the next URL, so a slow disk or bucket slows fetching instead of
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
  return new BatchRun(deps).process(event.Records);
}

// Longer than 300 lines because it is one protocol: the order in which a delivery counts, stores,
// announces and continues is what makes every URL end with one record however SQS delivers, and
// it reads in one place.

/** What counting a record did: whether this delivery was the one counted, what to hand on, a job it completed. */
interface CountOutcome {
  readonly handOn: readonly ContinuedUrl[];
  readonly counted: boolean;
  readonly completed?: JobSummary;
}

/** One batch, in named steps: plan, find replays, fetch and write, settle each record, report. */
class BatchRun {
  readonly #deps: BatchDependencies;
  readonly #report = newBatchReport();
  readonly #failures: SQSBatchItemFailure[] = [];

  constructor(deps: BatchDependencies) {
    this.#deps = deps;
  }

  async process(records: readonly SQSRecord[]): Promise<SQSBatchResponse> {
    const hostsBefore = this.#deps.engine.hostStats;
    const socketsBefore = this.#deps.engine.socketStats;
    const progress = records.map((record) => this.#plan(record));
    await Promise.all(progress.map((record) => this.#findReplay(record)));
    await this.#fetchAndWrite(progress);
    await Promise.all(progress.map((record) => this.#settle(record)));
    const hostsAfter = this.#deps.engine.hostStats;
    this.#report.hostWaits = hostsAfter.waits - hostsBefore.waits;
    this.#report.hostPushbacks = hostsAfter.pushbacks - hostsBefore.pushbacks;
    const socketsAfter = this.#deps.engine.socketStats;
    this.#report.connectionsOpened = socketsAfter.opened - socketsBefore.opened;
    this.#report.connectionsReused = socketsAfter.reused - socketsBefore.reused;
    this.#deps.onReport?.(this.#report);
    return { batchItemFailures: this.#failures };
  }

  /**
   * Parses a record. A redelivered message is fetched again with the attempts its requests carry:
   * redeliveries are bounded by the queue's maxReceiveCount (then the DLQ), and counting each
   * delivery as an attempt would turn a harmless duplicate delivery into ATTEMPTS_EXHAUSTED
   * records overwriting good ones.
   */
  #plan(record: SQSRecord): RecordProgress {
    const progress = recordProgress(record, this.#deps.jobs !== undefined);
    if (progress.message.ok && isRedelivery(record)) this.#report.redeliveredUrls += progress.message.value.requests.length;
    return progress;
  }

  /**
   * A message its job has counted already (a redelivery after the consumer died before deleting
   * it, or a duplicate send) is not fetched again: only its recorded continuation, if it had one,
   * is sent again, unless the counted delivery's results are not stored (`refill`). A failed
   * lookup fetches it as usual (the count itself is conditional).
   */
  async #findReplay(progress: RecordProgress): Promise<void> {
    const { jobs, logger, sink } = this.#deps;
    const job = progress.message.ok ? progress.message.value.job : undefined;
    if (!jobs || !job) return;
    let prior: Awaited<ReturnType<typeof jobs.counted>>;
    try {
      prior = await jobs.counted(job);
    } catch (error) {
      logger?.warn('job lookup failed; fetching the message', { messageId: progress.record.messageId, error: (error as Error).message });
      return;
    }
    if (!prior.counted) return;
    progress.replay = prior.continued;
    // Results that cannot be looked up are stored again: the same URLs, so never a second record.
    progress.refill = await sink.stored?.(progress.origin).then((stored) => !stored, () => true) ?? false;
  }

  /**
   * The URLs to fetch, pulled by the engine as it has room. A URL that spent its attempts in
   * earlier invocations is not fetched: its ATTEMPTS_EXHAUSTED record is written instead.
   */
  *#urlsToFetch(records: readonly RecordProgress[]): Generator<RecordUrl> {
    const maxAttempts = this.#deps.maxAttemptsPerUrl ?? this.#deps.engine.options.retries + 1;
    for (const progress of records) {
      if (!progress.message.ok || (progress.replay && !progress.refill)) continue;
      const { requests } = progress.message.value;
      // A refill fetches what the counted delivery did not hand on in its continuation.
      const handedOn = new Set(progress.refill ? progress.replay!.map(([index]) => index) : []);
      for (let index = 0; index < requests.length; index++) {
        if (handedOn.has(index)) continue;
        const request = this.#compared(requests[index]!);
        if ((request.priorAttempts ?? 0) < maxAttempts) yield { request, index, progress };
        else void this.#write(progress, withChange(request.previous, exhausted(request)));
      }
    }
  }

  /**
   * Fetches through the engine's own scheduler (a URL waiting for its host or a retry holds no
   * permit) and writes each result as it comes. Past `WRITES_AHEAD_PER_PERMIT` writes in flight
   * per permit, it waits for a write before taking the next result, and so before the engine
   * starts another URL. A URL cut off by the deadline is kept for `#settle` unless aborted
   * URLs are final here.
   */
  async #fetchAndWrite(records: readonly RecordProgress[]): Promise<void> {
    const { engine, signal, abortedIsFinal } = this.#deps;
    const maxWritesAhead = engine.options.concurrency * WRITES_AHEAD_PER_PERMIT;
    let writesAhead = 0;
    const writeSettled = () => { writesAhead -= 1; };
    for await (const { item, result } of engine.fetchEach(this.#urlsToFetch(records), (url) => url.request, signal)) {
      if (result.error?.code === ErrorCode.ABORTED && !abortedIsFinal) {
        item.progress.cutOff.push({ index: item.index, result });
        continue;
      }
      writesAhead += 1;
      const written = this.#write(item.progress, result).then(writeSettled);
      if (writesAhead >= maxWritesAhead) await written;
    }
  }

  /** The request with its earlier record, when the run compares and its message did not carry one. */
  #compared(request: FetchRequest): FetchRequest {
    const { earlier } = this.#deps;
    return earlier && request.previous === undefined ? { ...request, previous: earlier.previousOf(request) } : request;
  }

  /** Writes one final result; settles the record's count of writes whether it succeeded or not. */
  #write(progress: RecordProgress, result: FetchResult): Promise<void> {
    countResult(this.#report, result);
    progress.tally?.record(result);
    progress.writing += 1;
    const settled = () => {
      progress.writing -= 1;
      if (progress.writing === 0) progress.allWritten?.();
    };
    return this.#deps.sink.write([result], progress.origin).then(settled, (error: unknown) => {
      progress.writeError ??= error as Error;
      settled();
    });
  }

  /**
   * Acknowledges a record once its results are counted and durable, handing its cut-off URLs on
   * in a continuation; or reports it failed, so SQS delivers it again.
   */
  async #settle(progress: RecordProgress): Promise<void> {
    if (!progress.message.ok) {
      this.#fail(progress, progress.message.error);
      return;
    }
    const message = progress.message.value;
    const handOn = progress.replay && !progress.refill ? progress.replay : await this.#settleFetched(progress, message);
    if (handOn === undefined || handOn.length === 0) return;
    const requests = handOn.map(([index, attempts]) => ({ ...message.requests[index]!, priorAttempts: attempts }));
    try {
      await planContinuation(this.#deps.continuation!, requests, message);
      this.#report.continuedUrls += requests.length;
    } catch (error) {
      this.#fail(progress, 'continuation could not be sent; finished URLs of this message may be fetched again', { error: (error as Error).message });
    }
  }

  /**
   * Settles a record this delivery fetched: the job counts it first, and only the delivery it
   * counted stores the message's results (two deliveries of one message in progress at once, a
   * duplicate send or a visibility timeout that ran out, would otherwise store the uncounted
   * one's, whose URLs handed on differ from those the continuation carries); a job it completed
   * is announced once they are stored. A refill stores and counts nothing. Returns the URLs to
   * hand on, or undefined when the record failed.
   */
  async #settleFetched(progress: RecordProgress, message: ParsedMessage): Promise<readonly ContinuedUrl[] | undefined> {
    let handOn = progress.replay ?? await this.#settleCutOff(progress, message);
    if (progress.writing > 0) await new Promise<void>((resolve) => { progress.allWritten = resolve; });
    if (progress.writeError) {
      this.#fail(progress, 'results could not be written; URLs of this message already written may be written again', { error: progress.writeError.message });
      return undefined;
    }
    if (progress.refill && progress.cutOff.length > 0) {
      this.#fail(progress, 'the counted delivery\'s results were missing and could not all be fetched again before the deadline');
      return undefined;
    }
    let counted = true;
    let completed: JobSummary | undefined;
    try {
      if (!progress.replay) ({ handOn, counted, completed } = await this.#countForJob(progress, message, handOn));
    } catch (error) {
      this.#fail(progress, 'the job could not be updated', { error: (error as Error).message });
      return undefined;
    }
    const unstored = await storeResults(this.#deps.sink, progress.origin, counted);
    if (unstored) {
      this.#fail(progress, unstored.reason, unstored.error === undefined ? {} : { error: unstored.error });
      return undefined;
    }
    // A refill stored the last results of a job its counted delivery may have completed.
    if (progress.refill && message.job) completed = await this.#deps.jobs?.summary(message.job.id).catch(() => undefined);
    if (completed && completed.status !== 'running' && completed.status !== 'enqueuing') await this.#announce(completed);
    return handOn;
  }

  /**
   * What becomes of a record's URLs the deadline cut off: handed on in a continuation (returned),
   * or, with no continuation or none left (`maxHops`), written as final `ABORTED` records — its
   * other URLs already have records, and a redelivery would write those twice.
   */
  async #settleCutOff(progress: RecordProgress, message: ParsedMessage): Promise<ContinuedUrl[]> {
    const { continuation } = this.#deps;
    if (progress.cutOff.length === 0) return [];
    if (continuation && message.hop < continuation.maxHops) {
      return progress.cutOff.map(({ index, result }) => [index, result.attempts] as const);
    }
    const why = continuation
      ? `cut off by the invocation deadline after ${message.hop} continuations (the most allowed)`
      : 'cut off by the invocation deadline, with no continuation queue to carry it on';
    await Promise.all(progress.cutOff.map(({ result }) =>
      this.#write(progress, { ...result, error: { code: ErrorCode.ABORTED, message: why } })));
    return [];
  }

  /**
   * Adds the message's tally to its job, once. Returns whether this delivery was the one counted,
   * and the URLs to hand on: its own cut-off URLs, or, when another delivery of the same message
   * was counted first, the ones that one recorded.
   */
  async #countForJob(progress: RecordProgress, message: ParsedMessage, handOn: readonly ContinuedUrl[]): Promise<CountOutcome> {
    const { jobs } = this.#deps;
    if (!jobs || !message.job || !progress.tally) return { handOn, counted: true };
    const { outcome, completed } = await jobs.count(message.job, progress.tally, handOn);
    if (outcome === 'counted') return completed ? { handOn, counted: true, completed } : { handOn, counted: true };
    const prior = await jobs.counted(message.job);
    return prior.counted ? { handOn: prior.continued, counted: false } : { handOn, counted: false };
  }

  /** Tells the world a job finished (its results are stored); a failure to announce is logged, not retried. */
  async #announce(completed: JobSummary): Promise<void> {
    this.#report.jobsFinished.push(completed);
    await this.#deps.onJobCompleted?.(completed).catch((error: unknown) => {
      this.#deps.logger?.warn('job completed, but its completion could not be announced', { jobId: completed.jobId, error: (error as Error).message });
    });
  }

  #fail(progress: RecordProgress, reason: string, fields: Record<string, unknown> = {}): void {
    this.#deps.logger?.warn('message not acknowledged; SQS will deliver it again', { messageId: progress.record.messageId, reason, ...fields });
    this.#failures.push({ itemIdentifier: progress.record.messageId });
    this.#report.failedRecords += 1;
    this.#deps.sink.discard?.(progress.origin);
  }
}

export { processSqsBatch };
export type { BatchDependencies, BatchLogger, EarlierRecords };
