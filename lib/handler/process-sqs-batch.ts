import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import { BatchfetchError, ErrorCode } from '../errors.ts';
import { invalidResult } from '../input/invalid-result.ts';
import { parseQueueMessage, type ParsedMessage } from '../schemas/queue-message.ts';
import type { ResultSink } from '../sinks/result-sink.ts';
import { planContinuation, type Continuation } from './continuation.ts';

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
   * Where unfinished URLs go when the deadline cuts a record short: their finished URLs are
   * written, the rest is sent as a new message (attempt counts carried) and the record is
   * acknowledged. Without it (or past `maxHops`) the record fails as a whole and nothing of it
   * is written, so SQS delivers it again.
   */
  readonly continuation?: Continuation;
  /** Attempts per URL across all invocations; a URL past it ends as ATTEMPTS_EXHAUSTED. @default engine retries + 1 */
  readonly maxAttemptsPerUrl?: number;
  readonly logger?: BatchLogger;
  /** Receives what happened in this batch, for metrics. */
  readonly onReport?: (report: BatchReport) => void;
}

interface BatchReport {
  /** Every final result written by this batch. */
  readonly results: FetchResult[];
  /** URLs handed on in continuation messages. */
  continuedUrls: number;
  /** URLs whose message had been delivered before (ApproximateReceiveCount > 1). */
  redeliveredUrls: number;
  /** Records reported as failed. */
  failedRecords: number;
}

interface PlannedRecord {
  readonly record: SQSRecord;
  readonly message: ParsedMessage | { readonly error: string };
}

/**
 * The SQS consumer's core, shared by the Lambda handler, the local run and the worker. Fetches
 * every URL of every record through one engine, and acknowledges a record only once each of its
 * URLs has a final result written (or, after a deadline, is handed on in a continuation message).
 * Failed records are returned as `batchItemFailures`; it never throws after partial work, and
 * identifiers always come from the event.
 */
async function processSqsBatch(event: SQSEvent, deps: BatchDependencies): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  const report: BatchReport = { results: [], continuedUrls: 0, redeliveredUrls: 0, failedRecords: 0 };
  const maxAttempts = deps.maxAttemptsPerUrl ?? deps.engine.options.retries + 1;
  const planned = event.Records.map((record) => plan(record, report));
  const requestsOf = ({ message }: PlannedRecord) => ('error' in message ? [] : message.requests);
  const fresh = planned.flatMap(requestsOf).filter((r) => (r.priorAttempts ?? 0) < maxAttempts);
  const fetched = new Map<FetchRequest, FetchResult>();
  const results = await fetchBounded(fresh, deps);
  fresh.forEach((request, i) => fetched.set(request, results[i]!));

  await Promise.all(planned.map(async ({ record, message }) => {
    const fail = (reason: string, fields: Record<string, unknown> = {}) => {
      deps.logger?.warn('message not acknowledged; SQS will deliver it again', { messageId: record.messageId, reason, ...fields });
      failures.push({ itemIdentifier: record.messageId });
      report.failedRecords += 1;
    };
    if ('error' in message) {
      fail(message.error);
      return;
    }
    const requests = message.requests;
    const own = requests.map((request) => fetched.get(request) ?? exhausted(request));
    const cutOff = own.filter((result) => result.error?.code === ErrorCode.ABORTED);
    let done = own;
    let handOn: FetchRequest[] = [];
    if (cutOff.length > 0 && !deps.abortedIsFinal) {
      if (!deps.continuation || message.hop >= deps.continuation.maxHops) {
        fail(`${cutOff.length} of ${own.length} URLs were cut off by the deadline`, { hop: message.hop });
        return;
      }
      done = own.filter((result) => result.error?.code !== ErrorCode.ABORTED);
      handOn = requests.filter((_, i) => own[i]!.error?.code === ErrorCode.ABORTED)
        .map((request, i) => ({ ...request, priorAttempts: cutOff[i]!.attempts }));
    }
    try {
      await deps.sink.write(done, { messageId: record.messageId });
      report.results.push(...done);
    } catch (error) {
      fail('results could not be written', { error: (error as Error).message });
      return;
    }
    if (handOn.length === 0) return;
    try {
      await planContinuation(deps.continuation!, handOn, message);
      report.continuedUrls += handOn.length;
    } catch (error) {
      fail('continuation could not be sent; finished URLs of this message may be fetched again', { error: (error as Error).message });
    }
  }));
  deps.onReport?.(report);
  return { batchItemFailures: failures };
}

/**
 * Parses a record. A redelivered message is fetched again with the attempts its requests carry:
 * redeliveries are bounded by the queue's maxReceiveCount (then the DLQ), and counting each
 * delivery as an attempt would turn a harmless duplicate delivery into ATTEMPTS_EXHAUSTED
 * records overwriting good ones.
 */
function plan(record: SQSRecord, report: BatchReport): PlannedRecord {
  const message = parseQueueMessage(record.body);
  if (!('error' in message) && Number(record.attributes?.ApproximateReceiveCount ?? 1) > 1) {
    report.redeliveredUrls += message.requests.length;
  }
  return { record, message };
}

function exhausted(request: FetchRequest): FetchResult {
  return invalidResult(request, new BatchfetchError(ErrorCode.ATTEMPTS_EXHAUSTED,
    `no attempts left after ${request.priorAttempts ?? 0} in earlier invocations`));
}

/**
 * Fetches every request with as many workers as the engine has permits, not one promise per URL:
 * a batch of 10 messages x 1,000 URLs would otherwise keep 10,000 pending fetches alive at once,
 * which the bench showed as V8 young-generation growth (peak RSS) and GC time.
 */
async function fetchBounded(requests: readonly FetchRequest[], deps: BatchDependencies): Promise<FetchResult[]> {
  const results = new Array<FetchResult>(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      results[index] = await deps.engine.fetch(requests[index]!, deps.signal);
    }
  };
  await Promise.all(Array.from({ length: Math.min(requests.length, deps.engine.options.concurrency) }, worker));
  return results;
}

export { processSqsBatch };
export type { BatchDependencies, BatchLogger, BatchReport };
