import { MemoryQueue, QueueInputError } from '../../lib/queue/memory-queue.ts';

/** What the local run relies on from SQS, held by the in-process queue. */
describe('MemoryQueue (the local run’s queue)', () => {
  const queues: MemoryQueue[] = [];
  const newQueue = (visibilityTimeoutS = 30) => {
    const queue = new MemoryQueue(`t-${queues.length}`, { visibilityTimeoutS });
    queues.push(queue);
    return queue;
  };
  afterAll(() => queues.forEach((queue) => queue.close()));

  const send = (queue: MemoryQueue, ...bodies: string[]) => queue.sendMessageBatch({
    QueueUrl: queue.queueUrl, Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })),
  });
  const receive = (queue: MemoryQueue, max = 10, waitS = 0, abortSignal?: AbortSignal) => queue
    .receiveMessage({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: waitS }, { abortSignal })
    .then((output) => output.Messages ?? []);

  test('a received message is invisible until deleted; a batch sent together is received together', async () => {
    const queue = newQueue();
    await send(queue, 'a', 'b', 'c');

    const first = await receive(queue, 2);
    expect(first.map((m) => m.Body)).toStrictEqual(['a', 'b']);
    expect((await receive(queue)).map((m) => m.Body)).toStrictEqual(['c']);
    expect(await receive(queue)).toStrictEqual([]);

    const deleted = await queue.deleteMessageBatch({ QueueUrl: queue.queueUrl, Entries: first.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) });
    expect(deleted.Failed).toStrictEqual([]);
    expect(queue.counts).toStrictEqual({ visible: 0, inFlight: 1 });
  });

  test('a message not deleted within its visibility timeout comes back, counted, with a new receipt handle', async () => {
    const queue = newQueue(1);
    await send(queue, 'x');
    const [first] = await receive(queue);
    expect(first!.Attributes?.ApproximateReceiveCount).toBe('1');

    const [again] = await receive(queue, 10, 3);

    expect(again!.Body).toBe('x');
    expect(again!.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(again!.ReceiptHandle).not.toBe(first!.ReceiptHandle);
    // Only the latest receipt handle deletes it (as in SQS).
    const stale = await queue.deleteMessageBatch({ QueueUrl: queue.queueUrl, Entries: [{ Id: '0', ReceiptHandle: first!.ReceiptHandle! }] });
    expect(stale.Failed).toMatchObject([{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }]);
    const latest = await queue.deleteMessageBatch({ QueueUrl: queue.queueUrl, Entries: [{ Id: '0', ReceiptHandle: again!.ReceiptHandle! }] });
    expect(latest.Successful).toStrictEqual([{ Id: '0' }]);
    expect(queue.counts).toStrictEqual({ visible: 0, inFlight: 0 });
  });

  test('a message released (visibility 0) is received again at once', async () => {
    const queue = newQueue();
    await send(queue, 'r');
    const [message] = await receive(queue);

    await queue.changeMessageVisibilityBatch({ QueueUrl: queue.queueUrl, Entries: [{ Id: '0', ReceiptHandle: message!.ReceiptHandle!, VisibilityTimeout: 0 }] });

    const [again] = await receive(queue);
    expect(again).toMatchObject({ Body: 'r', Attributes: { ApproximateReceiveCount: '2' } });
  });

  test('a long poll returns as soon as a message is sent, with every message of that batch', async () => {
    const queue = newQueue();
    const polling = receive(queue, 10, 20);
    setTimeout(() => void send(queue, 'l1', 'l2', 'l3'), 50);

    expect((await polling).map((m) => m.Body)).toStrictEqual(['l1', 'l2', 'l3']);
  });

  test('a long poll ends empty after its wait, and rejects at once when aborted', async () => {
    const queue = newQueue();
    expect(await receive(queue, 10, 1)).toStrictEqual([]);

    const stop = new AbortController();
    const polling = receive(queue, 10, 20, stop.signal);
    stop.abort();
    await expect(polling).rejects.toMatchObject({ name: 'AbortError' });
    // The aborted poll took nothing: a message sent now goes to the next receive.
    await send(queue, 'after');
    expect((await receive(queue)).map((m) => m.Body)).toStrictEqual(['after']);
  });

  test('batches beyond what SQS accepts are refused', async () => {
    const queue = newQueue();
    await expect(send(queue, ...Array.from({ length: 11 }, () => 'm'))).rejects.toThrow(QueueInputError);
    await expect(send(queue, 'x'.repeat(1024 * 1024 + 1))).rejects.toThrow(/bytes at most/);
    expect(queue.counts).toStrictEqual({ visible: 0, inFlight: 0 });
  });
});
