/** What a removed item's slot holds until `shift` passes it (any value, `undefined` too, may be queued). */
const HOLE: unique symbol = Symbol('hole');

/** Taken slots kept at the head before the array is compacted (then only once they are half of it). */
const COMPACT_AFTER = 1024;

/**
 * A first-in, first-out queue, head-indexed: thousands may wait (a batch of 10 messages × 1,000
 * URLs for one host), and `Array#shift` is O(n) per take (it showed in a CPU profile of the
 * semaphore). `remove` leaves a hole the next `shift` skips, for waiters that give up (an
 * abort). The taken head is cut off once it passes `COMPACT_AFTER` slots and half the array, so
 * a queue that never empties (a busy origin's lane, fed as fast as it is served) holds at most
 * about twice its items plus `COMPACT_AFTER` slots, not every item it ever held.
 */
class FifoQueue<T> {
  #items: Array<T | typeof HOLE> = [];
  #head = 0;
  #size = 0;

  /** Items waiting. */
  get size(): number {
    return this.#size;
  }

  /** Slots of the backing array (items waiting, holes, and taken slots not yet cut off): what it costs in memory. */
  get slots(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#size += 1;
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head] = HOLE;
      this.#head += 1;
      this.#compact();
      if (item !== HOLE) {
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
    this.#items[index] = HOLE;
    this.#size -= 1;
    return true;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

export { FifoQueue };
