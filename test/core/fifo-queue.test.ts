import { FifoQueue } from '../../lib/core/fifo-queue.ts';

describe('FifoQueue', () => {
  test('takes items in order, skips removed ones, and stays correct across compaction', () => {
    const queue = new FifoQueue<{ n: number }>();
    const items = Array.from({ length: 5_000 }, (_, n) => ({ n }));
    for (const item of items) queue.push(item);
    expect(queue.remove(items[1]!)).toBe(true);
    expect(queue.remove(items[1]!)).toBe(false);

    const taken: number[] = [];
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) taken.push(item.n);

    expect(taken).toStrictEqual(items.map((item) => item.n).filter((n) => n !== 1));
    expect(queue.size).toBe(0);
    queue.push(items[0]!);
    expect(queue.shift()).toBe(items[0]);
  });

  test('a queue that never empties (fed as fast as it is served) is compacted: its slots stay bounded, its order intact', () => {
    const queue = new FifoQueue<number>();
    for (let n = 0; n < 10; n++) queue.push(n);
    let mostSlots = 0;
    const taken: number[] = [];
    for (let n = 10; n < 100_010; n++) {
      queue.push(n);
      taken.push(queue.shift()!);
      mostSlots = Math.max(mostSlots, queue.slots);
    }

    expect(taken).toStrictEqual(Array.from({ length: 100_000 }, (_, n) => n));
    expect(queue.size).toBe(10);
    // After each take: at most 1,024 taken slots (the next one past them cuts the head off) and the 10 waiting.
    expect(mostSlots).toBe(1_034);
  });

  test('any value may be queued, undefined and removed objects alike; a hole is never handed out', () => {
    const queue = new FifoQueue<string | undefined>();
    queue.push('a');
    queue.push(undefined);
    queue.push('b');
    expect(queue.remove('a')).toBe(true);

    expect(queue.size).toBe(2);
    expect(queue.shift()).toBeUndefined();
    expect(queue.size).toBe(1);
    expect(queue.shift()).toBe('b');
    expect(queue.size).toBe(0);
    expect(queue.slots).toBe(0);
  });
});
