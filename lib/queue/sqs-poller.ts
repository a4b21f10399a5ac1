import type { Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../engine/retry-policy.ts';
import { SQS_MAX_BATCH_ENTRIES, type QueueApi } from './queue-api.ts';
import { toSqsEvent } from './sqs-event.ts';

type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

interface PollerOptions {
  /** The queue's calls: `sqsQueueApi(client)` for SQS, or a `MemoryQueue`. */
  readonly queue: QueueApi;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: BatchHandler;
  /** Messages per batch, as the event source's batch size (above 10 needs a batching window). @default 10 */
  readonly batchSize?: number;
  /** Keep receiving until the batch is full or this much time passed, as the event source's window. @default 0 */
  readonly batchingWindowMs?: number;
  /** Long-poll wait per ReceiveMessage, in seconds. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Failed messages are made visible again at once instead of after the visibility timeout. @default false */
  readonly releaseFailed?: boolean;
  /**
   * Stops the loop. The batch in hand is finished. A receive in progress is cancelled only with
   * `cancelReceive` (the local run, whose queue is empty by then); otherwise it is allowed to
   * return and its messages are released at once: a cancelled long poll can leave messages the
   * server already handed out invisible until their visibility timeout.
   */
  readonly signal: AbortSignal;
  /** @default false */
  readonly cancelReceive?: boolean;
  /** Called after each batch with the messages acknowledged (deleted) and those that failed. */
  readonly onBatch?: (acknowledged: readonly Message[], failed: readonly Message[]) => void;
  /** Called when a receive came back empty; resolving true stops the loop (drained queue). */
  readonly onEmpty?: () => Promise<boolean>;
}

/** ReceiveMessage errors in a row before the poller gives up: the queue is gone, not busy. */
const MAX_CONSECUTIVE_ERRORS = 5;

/**
 * What Lambda's SQS event source does, outside Lambda: long-poll, hand the batch to the handler as
 * an SQS event, delete what it acknowledged, and leave failures to come back after their visibility
 * timeout (as on Lambda). When the poller itself fails — the handler throws, or a receive fails for
 * good — the messages in hand are made visible again at once (visibility 0) before it rejects, so
 * nothing waits out a 15-minute timeout because of a bug or an outage of this process.
 */
async function pollQueue(options: PollerOptions): Promise<void> {
  const { queue, queueUrl, signal } = options;
  let errors = 0;
  while (!signal.aborted) {
    const received = await receiveBatch(options);
    if (received.failure) {
      await releaseMessages(queue, queueUrl, received.messages);
      if (signal.aborted) return;
      errors += 1;
      if (errors >= MAX_CONSECUTIVE_ERRORS) throw received.failure.error;
      await sleep(backoffDelay(errors, 200, 5_000, Math.random));
      continue;
    }
    errors = 0;
    const messages = received.messages;
    if (signal.aborted) {
      // Received while stopping (a long poll that returned, or a batching window cut short).
      await releaseMessages(queue, queueUrl, messages);
      return;
    }
    if (messages.length === 0) {
      if (options.onEmpty && await options.onEmpty()) return;
      continue;
    }

    let response: SQSBatchResponse;
    try {
      response = await options.handler(toSqsEvent(messages, options.queueArn));
    } catch (error) {
      await releaseMessages(queue, queueUrl, messages).catch(() => {});
      throw error;
    }
    const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const acknowledged = messages.filter((message) => !failedIds.has(message.MessageId!));
    const failed = messages.filter((message) => failedIds.has(message.MessageId!));
    await deleteMessages(queue, queueUrl, acknowledged);
    if (options.releaseFailed && failed.length > 0) await releaseMessages(queue, queueUrl, failed);
    options.onBatch?.(acknowledged, failed);
  }
}

/**
 * Runs `count` pollers as one: the first to fail stops the others (they finish the batch in hand
 * and release what they received), and only then does the returned promise reject with that
 * error — nothing is left running when the caller closes the engine or the output.
 */
async function pollQueueWith(count: number, options: PollerOptions): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  let failure: { error: unknown } | undefined;
  await Promise.all(Array.from({ length: count }, () => pollQueue({ ...options, signal }).catch((error: unknown) => {
    failure ??= { error };
    stop.abort();
  })));
  if (failure) throw failure.error;
}

/**
 * One batch: receives (10 at most per call) until `batchSize` or the batching window ends. Never
 * throws: an error (or an abort cancelling a receive) is returned with the messages received
 * before it, which the caller releases rather than leaving them invisible.
 */
async function receiveBatch(options: PollerOptions): Promise<{ messages: Message[]; failure?: { readonly error: unknown } }> {
  const batchSize = options.batchSize ?? 10;
  const windowEnds = Date.now() + (options.batchingWindowMs ?? 0);
  const messages: Message[] = [];
  try {
    do {
      const remainingS = Math.ceil((windowEnds - Date.now()) / 1000);
      const output = await options.queue.receiveMessage({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_BATCH_ENTRIES, batchSize - messages.length),
        WaitTimeSeconds: messages.length === 0 ? (options.waitTimeSeconds ?? 1) : Math.max(0, Math.min(1, remainingS)),
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
        // Once messages are in hand, a receive is never cancelled: the server may still hand
        // messages to a cancelled long poll (and hide them), including those released on abort.
        // These receives wait 1 s at most; the abort is seen right after.
      }, options.cancelReceive && messages.length === 0 ? { abortSignal: options.signal } : {});
      messages.push(...(output.Messages ?? []));
      if (messages.length === 0 || options.signal.aborted) break;
    } while (messages.length < batchSize && Date.now() < windowEnds);
  } catch (error) {
    return { messages, failure: { error } };
  }
  return { messages };
}

async function deleteMessages(queue: QueueApi, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SQS_MAX_BATCH_ENTRIES) {
    const entries = messages.slice(i, i + SQS_MAX_BATCH_ENTRIES).map((message, j) => ({ Id: String(j), ReceiptHandle: message.ReceiptHandle! }));
    const output = await queue.deleteMessageBatch({ QueueUrl: queueUrl, Entries: entries });
    if (output.Failed && output.Failed.length > 0) {
      // Not fatal: an undeleted message is delivered again, and results are idempotent per URL.
      const retry = entries.filter((entry) => output.Failed!.some((f) => f.Id === entry.Id));
      await queue.deleteMessageBatch({ QueueUrl: queueUrl, Entries: retry });
    }
  }
}

async function releaseMessages(queue: QueueApi, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SQS_MAX_BATCH_ENTRIES) {
    await queue.changeMessageVisibilityBatch({
      QueueUrl: queueUrl,
      Entries: messages.slice(i, i + SQS_MAX_BATCH_ENTRIES).map((message, j) => ({ Id: String(j), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
    });
  }
}

export { pollQueue, pollQueueWith };
export type { BatchHandler, PollerOptions };
