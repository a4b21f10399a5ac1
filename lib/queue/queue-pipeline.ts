import type { Message } from '@aws-sdk/client-sqs';
import { BatchfetchError, ErrorCode, FetchError } from '../core/errors.ts';
import type { FetchResult } from '../engine/fetch-types.ts';
import { invalidResult } from '../input/invalid-result.ts';
import type { ParsedLine } from '../input/parse-request-line.ts';
import type { ResultSink } from '../sinks/result-sink.ts';
import type { QueueApi } from './queue-api.ts';
import { pollQueue, type BatchHandler } from './sqs-poller.ts';
import { SqsSender } from './sqs-sender.ts';
import { MessageSplitter, type SplitItem, type SplitOptions } from './split-into-messages.ts';

interface PipelineOptions {
  /** The queue's calls: a `MemoryQueue` (the local run) or `sqsQueueApi(client)`. */
  readonly queue: QueueApi;
  readonly queueUrl: string;
  readonly queueArn: string;
  /** Parsed input lines in chunks (as read), pulled only as fast as the queue drains. */
  readonly lines: AsyncIterable<readonly ParsedLine[]>;
  /** The SQS consumer (the fetch-batch handler). */
  readonly handler: BatchHandler;
  /** Receives records that never enter the queue: invalid lines, and lines read after an abort. */
  readonly sink: ResultSink;
  readonly split?: SplitOptions;
  /** Concurrent pollers (as concurrent Lambda invocations). @default 2 */
  readonly pollers?: number;
  /** Messages sent but not yet acknowledged at most: bounds memory for any input size. @default 40 */
  readonly maxUnacknowledged?: number;
  /** Deliveries of one message at most before the run fails (the local stand-in for a DLQ). @default 5 */
  readonly maxReceives?: number;
  /** After an abort, remaining lines get `ABORTED` records without being fetched. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PipelineProgress) => void;
}

interface PipelineProgress {
  /** URLs sent to the queue. */
  enqueuedUrls: number;
  /** Records written by the pipeline itself (invalid or skipped after abort). */
  directRecords: number;
  messagesSent: number;
  messagesAcknowledged: number;
  redeliveries: number;
  inputDone: boolean;
}

class PipelineError extends BatchfetchError {
  override readonly name = 'PipelineError';
  constructor(message: string) {
    super('PIPELINE_FAILED', message);
  }
}

/**
 * The producer → queue → consumer path of a local run or worker: input lines are split into
 * SQS messages and sent; pollers receive them as SQS events and call the handler; the run ends
 * when every message sent has been acknowledged. Every input URL ends with exactly one record.
 */
async function runQueuePipeline(options: PipelineOptions): Promise<PipelineProgress> {
  const progress: PipelineProgress = {
    enqueuedUrls: 0, directRecords: 0, messagesSent: 0, messagesAcknowledged: 0, redeliveries: 0, inputDone: false,
  };
  const maxUnacknowledged = options.maxUnacknowledged ?? 40;
  const maxReceives = options.maxReceives ?? 5;
  const stopPollers = new AbortController();
  let wakeProducer: (() => void) | undefined;
  // Boxed: a falsy rejection reason still counts as a failure.
  let failure: { readonly error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    stopPollers.abort();
    wakeProducer?.();
  };
  const checkDone = () => {
    if (progress.inputDone && progress.messagesAcknowledged >= progress.messagesSent) stopPollers.abort();
  };

  const onBatch = (acknowledged: readonly Message[], failed: readonly Message[]) => {
    progress.messagesAcknowledged += acknowledged.length;
    progress.redeliveries += failed.length;
    const exhausted = failed.find((m) => Number(m.Attributes?.ApproximateReceiveCount ?? 1) >= maxReceives);
    if (exhausted) fail(new PipelineError(`message ${exhausted.MessageId} failed ${maxReceives} times; see the log above`));
    options.onProgress?.(progress);
    wakeProducer?.();
    checkDone();
  };

  const pollers = Array.from({ length: options.pollers ?? 2 }, () => pollQueue({
    queue: options.queue,
    queueUrl: options.queueUrl,
    queueArn: options.queueArn,
    handler: options.handler,
    releaseFailed: true,
    signal: stopPollers.signal,
    cancelReceive: true,
    onBatch,
  }).catch(fail));

  const producer = produce(options, progress, {
    waitForRoom: async () => {
      while (!failure && progress.messagesSent - progress.messagesAcknowledged >= maxUnacknowledged) {
        await new Promise<void>((resolve) => { wakeProducer = resolve; });
      }
      if (failure) throw failure.error;
    },
  }).then(() => {
    progress.inputDone = true;
    options.onProgress?.(progress);
    checkDone();
  }, fail);

  await producer;
  await Promise.all(pollers);
  if (failure) throw failure.error;
  return progress;
}

async function produce(
  options: PipelineOptions,
  progress: PipelineProgress,
  flow: { waitForRoom: () => Promise<void> },
): Promise<void> {
  const sender = new SqsSender({ queue: options.queue, queueUrl: options.queueUrl });
  const splitter = new MessageSplitter(options.split);
  const direct = async (record: FetchResult) => {
    progress.directRecords += 1;
    await options.sink.write([record]);
  };
  const send = async (item: SplitItem) => {
    if (item.kind === 'oversized') {
      await direct(invalidResult(item.request, new FetchError(ErrorCode.INVALID_REQUEST, 'request is larger than one queue message')));
      return;
    }
    await flow.waitForRoom();
    await sender.add(item.body);
    progress.messagesSent += 1;
    progress.enqueuedUrls += item.requests.length;
    // A message waits in the sender's buffer until 10 are ready; while the queue is starved,
    // push it out now so consumers never idle waiting for the producer.
    if (progress.messagesSent - progress.messagesAcknowledged <= 10) await sender.flush();
  };

  // Lines are handled synchronously within a chunk; the loop awaits only when a message is
  // complete or a record is written directly.
  for await (const lines of options.lines) {
    for (const line of lines) {
      if (line.kind === 'skip') continue;
      if (line.kind === 'invalid') {
        await direct(line.result);
      } else if (options.signal?.aborted) {
        await direct(invalidResult(line.request, new FetchError(ErrorCode.ABORTED, 'run aborted before the URL was started')));
      } else {
        const item = splitter.add(line.request);
        if (item) await send(item);
      }
    }
  }
  const last = splitter.finish();
  if (last) await send(last);
  await sender.flush();
}

export { PipelineError, runQueuePipeline };
export type { PipelineOptions, PipelineProgress };
