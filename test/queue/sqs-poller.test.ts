import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { pollQueue } from '../../lib/queue/sqs-poller.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';

describe('pollQueue (the event source outside Lambda)', () => {
  let sqs: EmbeddedSqs;

  beforeAll(async () => {
    sqs = await startEmbeddedSqs();
  });

  afterAll(async () => {
    await sqs.stop();
  });

  async function queueWith(count: number) {
    const queue = await sqs.createQueue(`poll-${Date.now()}-${count}`);
    for (let i = 0; i < count; i += 10) {
      await sqs.client.send(new SendMessageBatchCommand({
        QueueUrl: queue.queueUrl,
        Entries: Array.from({ length: Math.min(10, count - i) }, (_, j) => ({ Id: String(j), MessageBody: JSON.stringify({ urls: [`https://e.example/${i + j}`] }) })),
      }));
    }
    return queue;
  }

  test('a batching window gathers batches larger than one receive, as the event source does', async () => {
    const queue = await queueWith(25);
    const batches: number[] = [];
    const stop = new AbortController();

    await pollQueue({
      client: sqs.client, ...queue, batchSize: 25, batchingWindowMs: 1_500, signal: stop.signal,
      handler: async (event: SQSEvent) => {
        batches.push(event.Records.length);
        return { batchItemFailures: [] };
      },
      onEmpty: async () => true,
    });

    expect(batches).toStrictEqual([25]);
  });

  test('without a window, a batch is one receive of at most batchSize messages', async () => {
    const queue = await queueWith(7);
    const batches: number[] = [];

    await pollQueue({
      client: sqs.client, ...queue, batchSize: 3, signal: new AbortController().signal,
      handler: async (event: SQSEvent) => {
        batches.push(event.Records.length);
        return { batchItemFailures: [] };
      },
      onEmpty: async () => true,
    });

    expect(batches.reduce((a, b) => a + b, 0)).toBe(7);
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
  });
});
