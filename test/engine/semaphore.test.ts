import { Semaphore } from '../../lib/core/semaphore.ts';

describe('Semaphore', () => {
  test('grants permits at once while free, then in FIFO order as they are released', async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];

    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.acquire()).toBeUndefined();
    const waits = Array.from({ length: 3000 }, (_, i) => semaphore.acquire()!.then(() => order.push(i)));
    expect(semaphore.waiting).toBe(3000);
    for (let i = 0; i < 3000; i++) semaphore.release();
    await Promise.all(waits);

    expect(order).toStrictEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(semaphore.waiting).toBe(0);
    semaphore.release();
    semaphore.release();
    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.acquire()).toBeUndefined();
    expect(semaphore.acquire()).toBeInstanceOf(Promise);
  });
});
