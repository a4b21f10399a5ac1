import type { Socket } from 'node:net';
import { FetchError, ErrorCode } from '../core/errors.ts';
import { FifoQueue } from '../core/fifo-queue.ts';

/** What the budget has seen; read by tests and the benchmark. */
interface SocketBudgetStats {
  /** Slots taken now: sockets connecting or open. */
  readonly open: number;
  /** Most slots ever taken at once. */
  readonly peak: number;
  /** Sockets connected so far (each a TCP, and for HTTPS a TLS, handshake). */
  readonly opened: number;
  /** Requests sent on a connection kept alive from an earlier one (no handshake). */
  readonly reused: number;
  /** Idle sockets closed to make room for another origin. */
  readonly evicted: number;
  /** Connects that had to wait for a slot. */
  readonly waited: number;
  /** Times the OS refused a socket (EMFILE and friends) and the budget shrank. */
  readonly exhausted: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A budget of open sockets shared by every origin of one engine. undici's Agent keeps a pool per
 * origin with no cap across origins, so a warm process that has met a thousand hosts holds a
 * thousand idle keep-alive sockets and the next connect fails with EMFILE. Here every connect
 * takes a slot first; when none is free the least recently idle socket is closed (LRU) and the
 * connect waits for its slot. A socket is idle while undici has unref'd it: undici unrefs a
 * socket exactly when its client has no request queued or running and refs it again before
 * using it (`resumeH1` in undici's lib/dispatcher/client-h1.js), so wrapping those two methods
 * tracks idleness without touching undici's internals.
 */
class SocketBudget {
  readonly limit: number;
  /** The limit in force: lowered when the OS runs out first, raised back one connect at a time. */
  #effective: number;
  #open = 0;
  #peak = 0;
  #opened = 0;
  #reused = 0;
  #evicted = 0;
  #waited = 0;
  #exhausted = 0;
  /** Idle sockets in the order they became idle: the first is the least recently used. */
  readonly #idle = new Set<Socket>();
  /** Sockets destroyed to make room whose 'close' has not come yet. */
  #evicting = 0;
  /** Connects waiting for a slot, first come first served. */
  readonly #waiters = new FifoQueue<Waiter>();
  #closedReason: FetchError | undefined;
  /** Idle sockets per origin key: the scheduler prefers URLs whose origin has one. */
  readonly #idleByOrigin = new Map<string, number>();
  /** URLs waiting to start per origin key (a scheduler's window): their idle sockets are evicted last. */
  readonly #waitingByOrigin = new Map<string, number>();

  constructor(limit: number) {
    this.limit = limit;
    this.#effective = limit;
  }

  get stats(): SocketBudgetStats {
    return { open: this.#open, peak: this.#peak, opened: this.#opened, reused: this.#reused, evicted: this.#evicted, waited: this.#waited, exhausted: this.#exhausted };
  }

  /** Idle sockets of `origin` (an origin key) open now. */
  idleOf(origin: string): number {
    return this.#idleByOrigin.get(origin) ?? 0;
  }

  /** Origins with URLs waiting to start, in every scheduler of the engine. */
  get originsWaiting(): number {
    return this.#waitingByOrigin.size;
  }

  /** Counts URLs of `origin` waiting to start (+1 read, -1 started or dropped): their next use is near. */
  noteWaiting(origin: string, delta: number): void {
    const count = (this.#waitingByOrigin.get(origin) ?? 0) + delta;
    if (count > 0) this.#waitingByOrigin.set(origin, count);
    else this.#waitingByOrigin.delete(origin);
  }

  /**
   * Takes a slot for one socket. Returns undefined when it was free at once (the common case,
   * no promise allocated), else a promise that resolves once a slot has been handed over.
   */
  acquire(): Promise<void> | undefined {
    if (this.#closedReason) return Promise.reject(this.#closedReason);
    if (this.#open < this.#effective && this.#waiters.size === 0) {
      this.#take();
      return undefined;
    }
    this.#waited += 1;
    const waiting = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#evictForWaiters();
    return waiting;
  }

  /** Gives a slot back (a connect failed, or its socket closed); the next waiter gets it. */
  release(): void {
    this.#open -= 1;
    this.#handOver();
  }

  /** Counts `socket` (of `origin`, an origin key) against its slot until it closes, and follows whether it is idle. */
  track(socket: Socket, origin: string): void {
    this.#opened += 1;
    (socket as TrackedSocket)[ORIGIN] = origin;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrappers below run with the socket as `this`
    const budget = this;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called back with the socket as `this`
    const { ref, unref } = socket;
    socket.unref = function trackedUnref(this: Socket) {
      budget.#becameIdle(socket);
      return unref.call(this);
    };
    // undici refs a pooled socket when it sends a request on it, and unrefs it when it goes idle.
    socket.ref = function trackedRef(this: Socket) {
      if (budget.#leaveIdle(socket)) budget.#reused += 1;
      return ref.call(this);
    };
    socket.once('close', () => {
      this.#leaveIdle(socket);
      if ((socket as TrackedSocket)[EVICTED] === true) this.#evicting -= 1;
      this.release();
    });
    if (this.#effective < this.limit) {
      this.#effective += 1;
      this.#handOver();
    }
  }

  /**
   * The OS refused a socket below the budget (EMFILE, ENFILE, ENOBUFS, EADDRNOTAVAIL): something
   * else holds descriptors or ports. Shrink to what is open now, so connects wait for sockets to
   * close instead of failing again; `track` grows it back as connects succeed.
   */
  exhausted(): void {
    this.#exhausted += 1;
    this.#effective = Math.max(1, Math.min(this.#effective, this.#open));
    this.#evictForWaiters();
  }

  /** Fails every waiting connect and any later one (the engine is closing). */
  close(reason: FetchError = new FetchError(ErrorCode.ABORTED, 'connection pool closed')): void {
    this.#closedReason = reason;
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) waiter.reject(reason);
  }

  #take(): void {
    this.#open += 1;
    if (this.#open > this.#peak) this.#peak = this.#open;
  }

  #handOver(): void {
    while (this.#waiters.size > 0 && this.#open < this.#effective) {
      this.#take();
      this.#waiters.shift()!.resolve();
    }
  }

  #becameIdle(socket: Socket): void {
    if (socket.destroyed) return;
    this.#leaveIdle(socket);
    this.#idle.add(socket);
    const origin = (socket as TrackedSocket)[ORIGIN]!;
    this.#idleByOrigin.set(origin, this.idleOf(origin) + 1);
    this.#evictForWaiters();
  }

  /** Whether `socket` was idle. */
  #leaveIdle(socket: Socket): boolean {
    if (!this.#idle.delete(socket)) return false;
    const origin = (socket as TrackedSocket)[ORIGIN]!;
    const idle = this.idleOf(origin) - 1;
    if (idle > 0) this.#idleByOrigin.set(origin, idle);
    else this.#idleByOrigin.delete(origin);
    return true;
  }

  /**
   * Closes idle sockets until every waiter has a slot coming: the least recently used one whose
   * origin has no URL waiting to start, or, when the oldest few all have, the least recently used.
   * Plain LRU closed the socket a URL further down the list was about to reuse (bench:origins).
   */
  #evictForWaiters(): void {
    const wanted = this.#open - this.#effective + this.#waiters.size;
    while (this.#evicting < wanted && this.#idle.size > 0) {
      const socket = this.#evictionCandidate();
      this.#leaveIdle(socket);
      (socket as TrackedSocket)[EVICTED] = true;
      this.#evicting += 1;
      this.#evicted += 1;
      // undici sees an idle socket close, as after its own keep-alive timeout, and drops it.
      socket.destroy();
    }
  }

  #evictionCandidate(): Socket {
    let looked = 0;
    for (const socket of this.#idle) {
      if (!this.#waitingByOrigin.has((socket as TrackedSocket)[ORIGIN]!)) return socket;
      if (++looked >= EVICTION_SCAN) break;
    }
    return this.#idle.values().next().value!;
  }
}

/** Idle sockets looked at for one not wanted soon, before the least recently used is taken anyway. */
const EVICTION_SCAN = 64;

const EVICTED = Symbol('evicted');
const ORIGIN = Symbol('origin');
type TrackedSocket = Socket & { [EVICTED]?: true; [ORIGIN]?: string };

export { SocketBudget };
export type { SocketBudgetStats };
