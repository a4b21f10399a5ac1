import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import type { FetchResult } from '../engine/fetch-types.ts';
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
  await Promise.all(event.Records.map(async (record) => {
    const outcome = await fetchRecord(record, deps);
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

async function fetchRecord(record: SQSRecord, deps: BatchDependencies): Promise<RecordOutcome> {
  const message = parseQueueMessage(record.body);
  if ('error' in message) return { ok: false, reason: message.error };
  const results = await Promise.all(message.requests.map((request) => deps.engine.fetch(request, deps.signal)));
  const cutOff = results.filter((result) => result.error?.code === ErrorCode.ABORTED).length;
  if (cutOff > 0 && !deps.abortedIsFinal) {
    return { ok: false, reason: `${cutOff} of ${results.length} URLs were cut off by the deadline` };
  }
  return { ok: true, results };
}

export { processSqsBatch };
export type { BatchDependencies, BatchLogger };
