import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { toSqsEvent } from './sqs-event.ts';

type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

interface PollerOptions {
  readonly client: SQSClient;
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
 * an SQS event, delete what it acknowledged, and leave failures to come back.
 */
async function pollQueue(options: PollerOptions): Promise<void> {
  const { client, queueUrl, signal } = options;
  let errors = 0;
  while (!signal.aborted) {
    let messages: Message[];
    try {
      messages = await receiveBatch(options);
      errors = 0;
      if (signal.aborted) {
        await releaseMessages(client, queueUrl, messages);
        return;
      }
    } catch (error) {
      if (signal.aborted) return;
      errors += 1;
      if (errors >= MAX_CONSECUTIVE_ERRORS) throw error;
      await sleep(100 * 2 ** errors);
      continue;
    }
    if (messages.length === 0) {
      if (options.onEmpty && await options.onEmpty()) return;
      continue;
    }

    const response = await options.handler(toSqsEvent(messages, options.queueArn));
    const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const acknowledged = messages.filter((message) => !failedIds.has(message.MessageId!));
    const failed = messages.filter((message) => failedIds.has(message.MessageId!));
    await deleteMessages(client, queueUrl, acknowledged);
    if (options.releaseFailed && failed.length > 0) await releaseMessages(client, queueUrl, failed);
    options.onBatch?.(acknowledged, failed);
  }
}

/** One batch: receives (10 at most per call) until `batchSize` or the batching window ends. */
async function receiveBatch(options: PollerOptions): Promise<Message[]> {
  const batchSize = options.batchSize ?? 10;
  const windowEnds = Date.now() + (options.batchingWindowMs ?? 0);
  const messages: Message[] = [];
  do {
    const remainingS = Math.ceil((windowEnds - Date.now()) / 1000);
    const output = await options.client.send(new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
      WaitTimeSeconds: messages.length === 0 ? (options.waitTimeSeconds ?? 1) : Math.max(0, Math.min(1, remainingS)),
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
    }), options.cancelReceive ? { abortSignal: options.signal } : {});
    messages.push(...(output.Messages ?? []));
    if (messages.length === 0 || options.signal.aborted) break;
  } while (messages.length < batchSize && Date.now() < windowEnds);
  return messages;
}

async function deleteMessages(client: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((message, j) => ({ Id: String(j), ReceiptHandle: message.ReceiptHandle! }));
    const output = await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    if (output.Failed && output.Failed.length > 0) {
      // Not fatal: an undeleted message is delivered again, and results are idempotent per URL.
      const retry = entries.filter((entry) => output.Failed!.some((f) => f.Id === entry.Id));
      await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: retry }));
    }
  }
}

async function releaseMessages(client: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    await client.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.slice(i, i + 10).map((message, j) => ({ Id: String(j), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
    }));
  }
}

export { pollQueue };
export type { BatchHandler, PollerOptions };
