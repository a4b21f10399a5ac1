import { FifoQueue } from './fifo-queue.ts';

/**
 * A counting semaphore. `acquire` resolves in FIFO order once a permit is free; every acquire
 * must be paired with exactly one `release`.
 */
class Semaphore {
  #available: number;
  readonly #waiters = new FifoQueue<() => void>();

  constructor(permits: number) {
    this.#available = permits;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  /** Returns undefined when a permit was free (no promise, no extra tick), else a promise. */
  acquire(): Promise<void> | undefined {
    if (this.#available > 0) {
      this.#available -= 1;
      return undefined;
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#available += 1;
  }
}

export { Semaphore };
