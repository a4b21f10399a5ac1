import { FifoQueue } from '../core/fifo-queue.ts';

/** The URLs of one origin waiting in the window, and how many of its URLs are in flight. */
class Lane<T> {
  readonly key: string;
  /** Most lanes hold a few items, some (a big host, fed while it is served) thousands. */
  readonly #items = new FifoQueue<T>();
  active = 0;
  /** `OriginWindow#starts` when the lane last became ready: for ageing. */
  readySince = 0;
  /** When its next URL began to wait for a URL of the lane to finish (ms, performance.now()). */
  heldSince = 0;

  constructor(key: string) {
    this.key = key;
  }

  get size(): number {
    return this.#items.size;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest item; only when `size` > 0. */
  shift(): T {
    return this.#items.shift() as T;
  }
}

/** What the window needs to know of the engine. */
interface WindowEngine {
  /** Connections per origin at most (the pool's cap): more in flight would only queue in it. */
  readonly perOrigin: number;
  /** Idle pooled connections of an origin key now. */
  idleConnectionsOf(origin: string): number;
  /** Told +1 when a URL of `origin` enters the window and -1 when it leaves (for eviction). */
  noteWaiting(origin: string, delta: number): void;
  /** Origins with URLs waiting in any window of the engine (several callers share one engine). */
  originsWaiting(): number;
}

/**
 * Lanes ordered by how many URLs they hold, biggest first, oldest first among equals: the cold
 * origins of the window, of which the biggest opens the next connection. O(1) to add to a lane or
 * take one out (a bucket per size; sizes only grow while a lane waits here).
 */
class LanesBySize<T> {
  readonly #buckets: Array<Set<Lane<T>> | undefined> = [];
  #largest = 0;

  /** Adds `lane` at its size; `from` is the size it was filed under if it is here already. */
  add(lane: Lane<T>, from?: number): void {
    if (from !== undefined) this.#buckets[from]!.delete(lane);
    (this.#buckets[lane.size] ??= new Set()).add(lane);
    if (lane.size > this.#largest) this.#largest = lane.size;
  }

  delete(lane: Lane<T>): void {
    this.#buckets[lane.size]?.delete(lane);
  }

  largest(): Lane<T> | undefined {
    while (this.#largest > 0) {
      const bucket = this.#buckets[this.#largest];
      if (bucket !== undefined && bucket.size > 0) return bucket.values().next().value;
      this.#largest -= 1;
    }
    return undefined;
  }

  clear(): void {
    this.#buckets.length = 0;
    this.#largest = 0;
  }
}

/**
 * A window of a list's URLs not started yet, grouped by origin, and the rule for which starts
 * next, so that a list of many origins costs close to one origin's (most of its CPU went to
 * opening and closing connections: bench:origins). In order of preference:
 * 1. the origin whose URL just finished, if it has URLs waiting: its connection is warm now;
 * 2. an origin with nothing in flight and an idle pooled connection (warm);
 * 3. more of the list, while the window has room and enough URLs are in flight: the URLs of an
 *    origin without a connection (cold) gather while the warm ones are served;
 * 4. the cold origin with the most URLs waiting: one new connection serves them all;
 * 5. the origin with the most URLs waiting, below its connection cap: extra connections to one
 *    origin only when it is the work left, here and in the engine's other windows;
 * 6. with the window full and every origin at its cap (a paused host): the oldest URL anyway, as
 *    without a window, so one slow host never holds up the list.
 * Two limits keep every URL moving: a cold origin ready for longer than `capacity` starts has the
 * first turn, so no URL waits for ever behind bigger origins; and a URL of an origin with URLs in
 * flight waits here at most `HOLD_MS` before it starts anyway and queues for the origin's
 * connections on its own clock (`urlTimeoutMs`), as it would without a window: a stalled origin's
 * URLs end together by their limit, not one limit after another. Per-host limits and pushback
 * still apply after this (HostGate).
 */
class OriginWindow<T> {
  readonly capacity: number;
  readonly #engine: WindowEngine;
  /** Lanes with URLs waiting or in flight. */
  readonly #lanes = new Map<string, Lane<T>>();
  /** Lanes with URLs waiting, none in flight and an idle connection when they became ready. */
  readonly #warm = new Set<Lane<T>>();
  /** Lanes with URLs waiting, none in flight and no idle connection, oldest first (for ageing). */
  readonly #cold = new Set<Lane<T>>();
  /** The same cold lanes, biggest first. */
  readonly #coldBySize = new LanesBySize<T>();
  /** Lanes whose URL just finished while they had URLs waiting. */
  readonly #freed: Array<Lane<T>> = [];
  /** Lanes with URLs waiting and some in flight, longest held first. */
  readonly #held = new Set<Lane<T>>();
  #size = 0;
  #starts = 0;

  constructor(capacity: number, engine: WindowEngine) {
    this.capacity = capacity;
    this.#engine = engine;
  }

  /** URLs waiting in the window. */
  get size(): number {
    return this.#size;
  }

  get full(): boolean {
    return this.#size >= this.capacity;
  }

  add(item: T, origin: string): void {
    let lane = this.#lanes.get(origin);
    if (lane === undefined) {
      lane = new Lane<T>(origin);
      this.#lanes.set(origin, lane);
    }
    lane.push(item);
    this.#size += 1;
    this.#engine.noteWaiting(origin, 1);
    if (lane.active > 0) {
      if (lane.size === 1) this.#hold(lane);
      return;
    }
    if (lane.size === 1) this.#makeReady(lane, this.#engine.idleConnectionsOf(origin) > 0);
    else if (this.#cold.has(lane)) this.#coldBySize.add(lane, lane.size - 1);
  }

  /**
   * The next URL to start and its lane (give the lane back to `finished`), or undefined when
   * none should start before more of the list is read or a URL finishes. `listDone`: nothing
   * more to read; `inFlight`: URLs of this list started and not finished.
   */
  take(listDone: boolean, inFlight: number): { readonly item: T; readonly lane: Lane<T> } | undefined {
    const lane = this.#choose(listDone || this.full || inFlight < HUNGRY_BELOW);
    if (lane === undefined) return undefined;
    this.#unready(lane);
    // A lane held past HOLD_MS lets all its URLs go; a lane that moved on is held afresh.
    const overdue = this.#held.has(lane) && performance.now() - lane.heldSince >= HOLD_MS;
    const item = lane.shift();
    lane.active += 1;
    if (lane.size === 0) {
      this.#held.delete(lane);
    } else if (!overdue) {
      this.#held.delete(lane);
      this.#hold(lane);
    }
    this.#size -= 1;
    this.#starts += 1;
    this.#engine.noteWaiting(lane.key, -1);
    return { item, lane };
  }

  /** Drops every URL not started (the caller stopped reading results). */
  clear(): void {
    for (const lane of this.#lanes.values()) {
      if (lane.size > 0) this.#engine.noteWaiting(lane.key, -lane.size);
    }
    this.#lanes.clear();
    this.#warm.clear();
    this.#cold.clear();
    this.#coldBySize.clear();
    this.#freed.length = 0;
    this.#held.clear();
    this.#size = 0;
  }

  /** A URL of `lane` finished. */
  finished(lane: Lane<T>): void {
    lane.active -= 1;
    if (lane.size > 0) {
      this.#freed.push(lane);
      // Its connection went back to the pool a moment ago.
      if (lane.active === 0) {
        this.#held.delete(lane);
        this.#makeReady(lane, true);
      }
    } else if (lane.active === 0) {
      this.#lanes.delete(lane.key);
    }
  }

  /** Lanes chosen in the order of the rules above; `hungry`: start a cold origin rather than read on. */
  #choose(hungry: boolean): Lane<T> | undefined {
    const { perOrigin } = this.#engine;
    while (this.#freed.length > 0) {
      const lane = this.#freed.pop()!;
      if (lane.size > 0 && lane.active < perOrigin) return lane;
    }
    const longestHeld: Lane<T> | undefined = this.#held.values().next().value;
    if (longestHeld !== undefined && performance.now() - longestHeld.heldSince >= HOLD_MS) return longestHeld;
    const oldestCold: Lane<T> | undefined = this.#cold.values().next().value;
    if (oldestCold !== undefined && this.#starts - oldestCold.readySince > this.capacity) return oldestCold;
    for (const lane of this.#warm) {
      if (this.#engine.idleConnectionsOf(lane.key) > 0) return lane;
      // Its idle connection closed (keep-alive timeout, eviction) since: cold now.
      this.#warm.delete(lane);
      this.#makeReady(lane, false);
    }
    if (!hungry) return undefined;
    const biggest = this.#coldBySize.largest();
    if (biggest !== undefined) return biggest;
    // Every origin with URLs waiting has some in flight: at most as many lanes as URLs in flight.
    let busiest: Lane<T> | undefined;
    let waiting = 0;
    for (const lane of this.#lanes.values()) {
      if (lane.size === 0) continue;
      waiting += 1;
      if (lane.active < perOrigin && (busiest === undefined || lane.size > busiest.size)) busiest = lane;
    }
    // Another caller's window has origins waiting: their first connections come before extra ones here.
    if (waiting < this.#engine.originsWaiting()) busiest = undefined;
    if (busiest !== undefined || !this.full) return busiest;
    for (const lane of this.#lanes.values()) if (lane.size > 0) return lane;
    return undefined;
  }

  /**
   * When a held URL is due to start anyway (ms, performance.now()), or undefined: the scheduler
   * wakes then even if no URL finishes.
   */
  nextHoldEnd(): number | undefined {
    const longestHeld: Lane<T> | undefined = this.#held.values().next().value;
    return longestHeld === undefined ? undefined : longestHeld.heldSince + HOLD_MS;
  }

  #hold(lane: Lane<T>): void {
    lane.heldSince = performance.now();
    this.#held.add(lane);
  }

  #makeReady(lane: Lane<T>, warm: boolean): void {
    lane.readySince = this.#starts;
    if (warm) {
      this.#warm.add(lane);
    } else {
      this.#cold.add(lane);
      this.#coldBySize.add(lane);
    }
  }

  #unready(lane: Lane<T>): void {
    if (this.#warm.delete(lane)) return;
    if (this.#cold.delete(lane)) this.#coldBySize.delete(lane);
  }
}

/**
 * With fewer URLs than this in flight, a cold origin starts at once rather than wait for the
 * window to fill: a list read slowly (a pipe) still runs this many URLs in parallel.
 */
const HUNGRY_BELOW = 8;

/**
 * Longest a URL waits in the window for its origin's URLs in flight to finish: long enough for a
 * busy origin's next response to free a connection, short against `urlTimeoutMs`.
 */
const HOLD_MS = 1_000;

export { OriginWindow };
export type { Lane, WindowEngine };
