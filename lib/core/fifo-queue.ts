/**
 * A first-in, first-out queue of waiters, head-indexed: thousands may wait (a batch of 10
 * messages × 1,000 URLs for one host), and `Array#shift` on such a queue is O(n) per take (it
 * showed in a CPU profile of the semaphore). `remove` leaves a hole the next `shift` skips, for
 * waiters that give up (an abort).
 */
class FifoQueue<T extends object> {
  #items: Array<T | undefined> = [];
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#size += 1;
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head] = undefined;
      this.#head += 1;
      this.#compact();
      if (item !== undefined) {
        this.#size -= 1;
        return item;
      }
    }
    return undefined;
  }

  /** Removes `item` if it is still waiting; true when it was. */
  remove(item: T): boolean {
    const index = this.#items.indexOf(item, this.#head);
    if (index === -1) return false;
    this.#items[index] = undefined;
    this.#size -= 1;
    return true;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

export { FifoQueue };
