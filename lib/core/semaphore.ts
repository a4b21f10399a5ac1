/**
 * A counting semaphore. `acquire` resolves in FIFO order once a permit is free; every acquire
 * must be paired with exactly one `release`. Waiters sit in a head-indexed queue: thousands may
 * wait (a batch of 10 messages x 1,000 URLs), and `Array#shift` on such a queue is O(n) per
 * release (it showed in the bench profile).
 */
class Semaphore {
  #available: number;
  #waiters: Array<(() => void) | undefined> = [];
  #head = 0;

  constructor(permits: number) {
    this.#available = permits;
  }

  get waiting(): number {
    return this.#waiters.length - this.#head;
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
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head]!;
      this.#waiters[this.#head] = undefined;
      this.#head += 1;
      if (this.#head === this.#waiters.length) {
        this.#waiters = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      next();
      return;
    }
    this.#available += 1;
  }
}

export { Semaphore };
