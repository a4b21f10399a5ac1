import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ErrorCode } from '../core/errors.ts';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import { withChange } from '../engine/change.ts';
import type { FetchRequest, FetchResult, PreviousRecord } from '../engine/fetch-types.ts';
import type { ContinuedUrl, JobStore } from '../jobs/job-store.ts';
import type { JobEndOutcome } from '../jobs/job-end.ts';
import type { JobSummary } from '../jobs/job-summary.ts';
import { JobTally } from '../jobs/job-tally.ts';
import { planContinuation, type Continuation } from '../queue/continuation.ts';
import type { ParsedMessage } from '../schemas/queue-message.ts';
import type { ResultSink, StoreOutcome } from '../sinks/result-sink.ts';
import { countResult, newBatchReport, type BatchReport } from './batch-report.ts';
import { FailureReason } from './failure-reason.ts';
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
  readonly jobs?: Pick<JobStore, 'counted' | 'count' | 'finishShard'>;
  /**
   * Called for a job this batch ended (or found ended and not yet announced): it asks for the
   * job's end (a job-end message), or writes it here and returns the summary it announced. A
   * failure fails the record, so a later delivery asks again.
   */
  readonly onJobCompleted?: (summary: JobSummary) => Promise<JobSummary | undefined>;
  /** Writes a job's end for a job-end message (lib/jobs/job-end.ts). */
  readonly endJob?: (jobId: string) => Promise<JobEndOutcome>;
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

// Longer than 300 lines because it is one protocol: the order in which a delivery stores,
// counts, announces and continues is what makes every URL end with one record however SQS
// delivers, and it reads in one place (the table of its paths is in docs/jobs.md).

/** One batch, in named steps: plan, look each record up, fetch and write, settle each record, report. */
class BatchRun {
  readonly #deps: BatchDependencies;
  readonly #report = newBatchReport();
  readonly #failures: SQSBatchItemFailure[] = [];
  readonly #ends = new Map<string, Promise<JobEndOutcome>>();

  constructor(deps: BatchDependencies) {
    this.#deps = deps;
  }

  async process(records: readonly SQSRecord[]): Promise<SQSBatchResponse> {
    const hostsBefore = this.#deps.engine.hostStats;
    const socketsBefore = this.#deps.engine.socketStats;
    const progress = records.map((record) => this.#plan(record));
    // Job ends first, with the invocation's whole time: fetching stops at the deadline, an end cannot.
    const ends = progress.filter((record) => record.path.kind === 'end');
    await Promise.all(ends.map((record) => this.#settle(record)));
    const others = ends.length === 0 ? progress : progress.filter((record) => record.path.kind !== 'end');
    await Promise.all(others.map((record) => this.#lookUp(record)));
    await this.#fetchAndWrite(others);
    await Promise.all(others.map((record) => this.#settle(record)));
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
   * A `fresh` message its job has counted already (a redelivery after the consumer died before
   * deleting it, or a duplicate send) becomes a `replay`; one a delivery stored without counting
   * (it died, or its count failed, in between) becomes an `adopt`. Stored results are looked for
   * only on a redelivery (a GET): a first delivery that meets them anyway (a duplicate send)
   * learns it from its conditional store. A failed lookup leaves the message `fresh`: the store
   * and the count decide for themselves.
   */
  async #lookUp(progress: RecordProgress): Promise<void> {
    const { jobs, sink } = this.#deps;
    const job = progress.message.ok ? progress.message.value.job : undefined;
    if (progress.path.kind !== 'fresh' || !jobs || !job) return;
    try {
      const prior = await jobs.counted(job);
      if (prior.counted) {
        progress.path = { kind: 'replay', handedOn: prior.continued, shardFinished: prior.shardFinished };
        return;
      }
      const stored = isRedelivery(progress.record) ? await sink.storedMessage?.(progress.origin) : undefined;
      if (stored) progress.path = { kind: 'adopt', stored };
    } catch (error) {
      this.#deps.logger?.warn('job lookup failed; fetching the message', { messageId: progress.record.messageId, error: (error as Error).message });
    }
  }

  /**
   * The URLs to fetch, pulled by the engine as it has room. A URL that spent its attempts in
   * earlier invocations is not fetched: its ATTEMPTS_EXHAUSTED record is written instead.
   */
  *#urlsToFetch(records: readonly RecordProgress[]): Generator<RecordUrl> {
    const maxAttempts = this.#deps.maxAttemptsPerUrl ?? this.#deps.engine.options.retries + 1;
    for (const progress of records) {
      if (!progress.message.ok || (progress.path.kind !== 'fresh' && progress.path.kind !== 'untracked')) continue;
      const { requests } = progress.message.value;
      for (let index = 0; index < requests.length; index++) {
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
    progress.tally.record(result);
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

  /** Settles a record on its path: acknowledged once what it owes is stored, counted and handed on; or failed, so SQS delivers it again. */
  async #settle(progress: RecordProgress): Promise<void> {
    const { path, message } = progress;
    if (path.kind === 'end') return this.#end(progress, path.jobId);
    if (path.kind === 'invalid' || !message.ok) {
      this.#fail(progress, FailureReason.INVALID_MESSAGE, { problem: path.kind === 'invalid' ? path.problem : '' });
      return;
    }
    switch (path.kind) {
      case 'replay':
        if (path.shardFinished && !(await this.#finishShard(progress, message.value))) return;
        return this.#handOn(progress, message.value, path.handedOn);
      case 'adopt':
        return this.#count(progress, message.value, JobTally.ofLines(path.stored.lines), path.stored.handedOn);
      case 'untracked':
      case 'fresh':
        return this.#storeFetched(progress, message.value);
    }
  }

  /**
   * Stores what this delivery fetched, then (a job's message) counts what is stored: its own
   * records, or, when another delivery stored the message first, that delivery's (the path
   * becomes `adopt`). Stored before counted: a job's counts never include a message whose
   * records are not stored, so the job ends only once all of them are.
   */
  async #storeFetched(progress: RecordProgress, message: ParsedMessage): Promise<void> {
    const handedOn = await this.#settleCutOff(progress, message);
    if (progress.writing > 0) await new Promise<void>((resolve) => { progress.allWritten = resolve; });
    if (progress.writeError) {
      this.#fail(progress, FailureReason.RESULTS_NOT_WRITTEN, { error: progress.writeError.message });
      return;
    }
    let stored: StoreOutcome = { kind: 'stored' };
    try {
      if (this.#deps.sink.store) stored = await this.#deps.sink.store(progress.origin, handedOn);
    } catch (error) {
      this.#fail(progress, FailureReason.RESULTS_NOT_STORED, { error: (error as Error).message });
      return;
    }
    // Not counted here (no jobs table): another delivery's stored records stand, and so do the URLs it handed on.
    if (progress.path.kind === 'untracked') return this.#handOn(progress, message, stored.kind === 'taken' ? stored.message.handedOn : handedOn);
    if (stored.kind === 'stored') return this.#count(progress, message, progress.tally, handedOn);
    progress.path = { kind: 'adopt', stored: stored.message };
    return this.#count(progress, message, JobTally.ofLines(stored.message.lines), stored.message.handedOn);
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
   * Adds the stored message's tally to its job, once, with the URLs it handed on; announces a
   * job this count completed (every counted message is stored by then); then hands on. When
   * another delivery counted it first, hands on what that one recorded (the same stored object).
   */
  async #count(progress: RecordProgress, message: ParsedMessage, tally: JobTally, handedOn: readonly ContinuedUrl[]): Promise<void> {
    const jobs = this.#deps.jobs!;
    let handOn = handedOn;
    let completed: JobSummary | undefined;
    try {
      const counted = await jobs.count(message.job!, tally, handedOn);
      completed = counted.completed;
      if (counted.outcome === 'already') {
        const prior = await jobs.counted(message.job!);
        if (prior.counted) handOn = prior.continued;
        if (prior.counted && prior.shardFinished && !(await this.#finishShard(progress, message))) return;
      }
    } catch (error) {
      this.#fail(progress, FailureReason.JOB_NOT_COUNTED, { error: (error as Error).message });
      return;
    }
    if (completed && !(await this.#announce(progress, completed))) return;
    return this.#handOn(progress, message, handOn);
  }

  /**
   * A message counted already whose shard has every URL it expects: the completion its counted
   * delivery should have made is made again (it may have died, or failed, right after its
   * count). The shard's and the job's changes are conditional, so the job still ends, and is
   * announced, once. False when the record failed.
   */
  async #finishShard(progress: RecordProgress, message: ParsedMessage): Promise<boolean> {
    try {
      const completed = await this.#deps.jobs!.finishShard(message.job!);
      return completed ? await this.#announce(progress, completed) : true;
    } catch (error) {
      this.#fail(progress, FailureReason.JOB_NOT_COUNTED, { error: (error as Error).message });
      return false;
    }
  }

  /** Sends the URLs a message handed on as continuation messages (attempt counts carried). */
  async #handOn(progress: RecordProgress, message: ParsedMessage, handedOn: readonly ContinuedUrl[]): Promise<void> {
    if (handedOn.length === 0) return;
    const requests = handedOn.map(([index, attempts]) => ({ ...message.requests[index]!, priorAttempts: attempts }));
    try {
      await planContinuation(this.#deps.continuation!, requests, message);
      this.#report.continuedUrls += requests.length;
    } catch (error) {
      this.#fail(progress, FailureReason.CONTINUATION_NOT_SENT, { error: (error as Error).message });
    }
  }

  /**
   * Hands a job this batch ended to its end (every counted message is stored by then). False,
   * with the record failed, when that could not be done: the redelivery, finding the job ended
   * and not announced, asks again.
   */
  async #announce(progress: RecordProgress, completed: JobSummary): Promise<boolean> {
    try {
      const announced = await this.#deps.onJobCompleted?.(completed);
      if (announced) this.#report.jobsFinished.push(announced);
      return true;
    } catch (error) {
      this.#fail(progress, FailureReason.JOB_END_NOT_ASKED, { jobId: completed.jobId, error: (error as Error).message });
      return false;
    }
  }

  /** A job-end message: the job's end written and announced once, or the record failed so that SQS delivers it again. */
  async #end(progress: RecordProgress, jobId: string): Promise<void> {
    if (!this.#deps.endJob) {
      this.#fail(progress, FailureReason.JOB_END_FAILED, { jobId, error: 'a job-end message reached a consumer without a jobs table (JOBS_TABLE)' });
      return;
    }
    try {
      // Several asks for one job's end in one batch (each delivery that found the job ended asks) are one end.
      let ending = this.#ends.get(jobId);
      const first = ending === undefined;
      if (ending === undefined) this.#ends.set(jobId, ending = this.#deps.endJob(jobId));
      const ended: JobEndOutcome = first ? await ending : { outcome: (await ending).outcome === 'busy' ? 'busy' : 'announced' };
      if (ended.outcome === 'ended') this.#report.jobsFinished.push(ended.summary);
      if (ended.outcome === 'busy') this.#fail(progress, FailureReason.JOB_END_IN_PROGRESS, { jobId });
    } catch (error) {
      this.#fail(progress, FailureReason.JOB_END_FAILED, { jobId, error: (error as Error).message });
    }
  }

  #fail(progress: RecordProgress, reason: FailureReason, fields: Record<string, unknown> = {}): void {
    this.#deps.logger?.warn('message not acknowledged; SQS will deliver it again', { messageId: progress.record.messageId, reason, path: progress.path.kind, ...fields });
    this.#failures.push({ itemIdentifier: progress.record.messageId });
    this.#report.failedRecords += 1;
    this.#report.failedByReason.set(reason, (this.#report.failedByReason.get(reason) ?? 0) + 1);
    this.#deps.sink.discard?.(progress.origin);
  }
}

export { processSqsBatch };
export type { BatchDependencies, BatchLogger, EarlierRecords };
