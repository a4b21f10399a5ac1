import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import { ErrorCode } from '../errors.ts';
import { parseQueueMessage } from '../schemas/queue-message.ts';
import type { ResultSink } from '../sinks/result-sink.ts';

interface BatchLogger {
  warn(message: string, fields: Record<string, unknown>): void;
}

interface BatchDependencies {
  readonly engine: FetchEngine;
  readonly sink: ResultSink;
  /** The invocation's deadline: aborts fetches in flight. */
  readonly signal?: AbortSignal;
  /**
   * When true, URLs cut off by `signal` get final `ABORTED` records and their message is
   * acknowledged (the local run's Ctrl-C or `--deadline`). When false (Lambda), such a message
   * is reported as failed and nothing of it is written, so SQS delivers it again.
   * @default false
   */
  readonly abortedIsFinal?: boolean;
  readonly logger?: BatchLogger;
}

type RecordOutcome = { readonly ok: true; readonly results: FetchResult[] } | { readonly ok: false; readonly reason: string };

/**
 * The SQS consumer's core, shared by the Lambda handler, the local run and the worker: fetches
 * every URL of every record through one engine, writes each record's results to the sink, and
 * acknowledges a record only once all its URLs have a final result written.
 * Failed records are returned as `batchItemFailures` (partial batch response); it never throws
 * after partial work, and identifiers always come from the event.
 */
async function processSqsBatch(event: SQSEvent, deps: BatchDependencies): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  const records = event.Records.map((record) => ({ record, message: parseQueueMessage(record.body) }));
  const work = records.flatMap(({ message }) => ('error' in message ? [] : message.requests));
  const results = await fetchBounded(work, deps);
  let offset = 0;
  const outcomes = records.map(({ record, message }) => {
    if ('error' in message) return { record, outcome: { ok: false, reason: message.error } as RecordOutcome };
    const own = results.slice(offset, offset + message.requests.length);
    offset += message.requests.length;
    return { record, outcome: checkRecord(own, deps) };
  });
  await Promise.all(outcomes.map(async ({ record, outcome }) => {
    if (outcome.ok) {
      try {
        await deps.sink.write(outcome.results);
        return;
      } catch (error) {
        deps.logger?.warn('results could not be written; the message will be delivered again', {
          messageId: record.messageId,
          error: (error as Error).message,
        });
      }
    } else {
      deps.logger?.warn('message not processed; it will be delivered again', { messageId: record.messageId, reason: outcome.reason });
    }
    failures.push({ itemIdentifier: record.messageId });
  }));
  return { batchItemFailures: failures };
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

function checkRecord(results: FetchResult[], deps: BatchDependencies): RecordOutcome {
  const cutOff = results.filter((result) => result.error?.code === ErrorCode.ABORTED).length;
  if (cutOff > 0 && !deps.abortedIsFinal) {
    return { ok: false, reason: `${cutOff} of ${results.length} URLs were cut off by the deadline` };
  }
  return { ok: true, results };
}

export { processSqsBatch };
export type { BatchDependencies, BatchLogger };
