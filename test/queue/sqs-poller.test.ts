import type { SQSEvent } from 'aws-lambda';
import { pollQueue, pollQueueWith } from '../../lib/queue/sqs-poller.ts';
import { QUEUE_KINDS, type QueueKind, type TestQueue } from '../support/queues.ts';

describe.each(QUEUE_KINDS)('pollQueue (the event source outside Lambda) on %s', (_, kind: QueueKind) => {
  beforeAll(() => kind.start());
  afterAll(() => kind.stop());

  let current: TestQueue;
  async function queueWith(count: number) {
    // A long visibility timeout: a message seen again soon was released, not timed out.
    const queue = current = await kind.create(900);
    for (let i = 0; i < count; i += 10) {
      await queue.queue.sendMessageBatch({
        QueueUrl: queue.queueUrl,
        Entries: Array.from({ length: Math.min(10, count - i) }, (_, j) => ({ Id: String(j), MessageBody: JSON.stringify({ urls: [`https://e.example/${i + j}`] }) })),
      });
    }
    return queue;
  }

  test('a batching window gathers batches larger than one receive, as the event source does', async () => {
    const queue = await queueWith(25);
    const batches: number[] = [];
    const stop = new AbortController();

    // The window is far longer than three receives take, however busy the machine: the batch
    // ends when it is full, not when the window does.
    await pollQueue({
      ...queue, batchSize: 25, batchingWindowMs: 20_000, signal: stop.signal,
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
      ...queue, batchSize: 3, signal: new AbortController().signal,
      handler: async (event: SQSEvent) => {
        batches.push(event.Records.length);
        return { batchItemFailures: [] };
      },
      onEmpty: async () => true,
    });

    expect(batches.reduce((a, b) => a + b, 0)).toBe(7);
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
  });

  /** Messages visible now (received, then released again so the count does not change them). */
  async function visible(queueUrl: string): Promise<number> {
    const { Messages = [] } = await current.queue.receiveMessage({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0 });
    return Messages.length;
  }

  test('a handler that throws: its messages are visible again at once, and the poller rejects', async () => {
    const queue = await queueWith(3);

    await expect(pollQueue({
      ...queue, signal: new AbortController().signal,
      handler: async () => { throw new Error('handler bug'); },
    })).rejects.toThrow('handler bug');

    expect(await visible(queue.queueUrl)).toBe(3);
  });

  test('an abort during a batching window releases the messages already received', async () => {
    const queue = await queueWith(4);
    const stop = new AbortController();
    let handled = 0;
    setTimeout(() => stop.abort(), 700);

    await pollQueue({
      ...queue, batchSize: 50, batchingWindowMs: 20_000, signal: stop.signal, cancelReceive: true,
      handler: async (event: SQSEvent) => {
        handled += event.Records.length;
        return { batchItemFailures: [] };
      },
    });

    expect(handled).toBe(0);
    expect(await visible(queue.queueUrl)).toBe(4);
  });

  test('one failing poller stops the others before the group rejects, and nothing is left invisible', async () => {
    const queue = await queueWith(6);
    let running = 0;
    let batches = 0;

    await expect(pollQueueWith(3, {
      ...queue, batchSize: 2, signal: new AbortController().signal,
      handler: async () => {
        running += 1;
        batches += 1;
        const mine = batches;
        await new Promise((resolve) => setTimeout(resolve, 100));
        running -= 1;
        if (mine === 1) throw new Error('first batch failed');
        return { batchItemFailures: [] };
      },
    })).rejects.toThrow('first batch failed');

    expect(running).toBe(0);
    // Whatever the other pollers acknowledged is gone; the failed batch is back at once.
    const left = await visible(queue.queueUrl);
    expect(left).toBeGreaterThanOrEqual(2);
    expect(left).toBeLessThanOrEqual(6);
  });
});
