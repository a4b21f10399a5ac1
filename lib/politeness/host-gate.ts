import { hostOfOrigin, type HostRules } from './host-rules.ts';
import { burstOf, HostState, type AttemptFeedback, type HostTicket } from './host-state.ts';
import { HostStatsHistory, type HostGateStats } from './host-stats.ts';

/** Hands out request tokens for a host shared with other environments (see rate-leases.ts). */
interface TokenSource {
  /**
   * Up to `want` tokens of `host`'s `rate` for now. `granted` 0 means the fleet used this
   * window's tokens: ask again at `retryAt` (ms since the epoch).
   */
  lease(host: string, rate: number, want: number): Promise<{ readonly granted: number; readonly retryAt: number }>;
}

interface HostGateOptions {
  readonly rules: HostRules;
  /** Slow a host down when it pushes back (AIMD), and recover. @default true */
  readonly adaptive?: boolean;
  /** Fleet-wide token source for hosts with a rate limit; per process when absent. */
  readonly tokens?: TokenSource;
  /** Called with +1 when a request starts waiting for its host and -1 when it stops. */
  readonly onWait?: (delta: number) => void;
  /**
   * Requests a host without a rule can have in flight at most (the engine's connections per
   * origin): what its first pushback halves, as such a host has no count of its own. @default 6
   */
  readonly hostConcurrency?: number;
  /**
   * The longest a pushback pauses a host (the engine's `maxRetryAfterMs`): a URL does not wait
   * longer for one Retry-After, so its host need not either, and an absurd value (10^26 s) never
   * reaches a timer. @default 60 s
   */
  readonly maxPauseMs?: number;
  readonly now?: () => number;
}

const NO_TICKET: HostTicket = { done() {} };

/** Node's timers hold at most 2^31-1 ms; a longer wait is no limit at all. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Per-host politeness inside one engine: a concurrency cap and a request rate per host (from
 * `HostRules`), and adaptive backoff (HostState: a host that answers 429 or 503, or sends
 * Retry-After, is slowed down; answers without pushback speed it up again). This class decides
 * when a request may start: it parks requests per host, wakes them when the host allows, and
 * leases fleet tokens. A request waiting for its host holds no engine permit, so other hosts
 * keep their throughput. Hosts with no rule and no pushback have no state at all: `enter`
 * returns at once without allocating.
 */
class HostGate {
  readonly #rules: HostRules;
  readonly #adaptive: boolean;
  readonly #tokens: TokenSource | undefined;
  readonly #onWait: (delta: number) => void;
  readonly #hostConcurrency: number;
  readonly #maxPauseMs: number;
  readonly #now: () => number;
  readonly #hosts = new Map<string, HostState>();
  readonly #history = new HostStatsHistory();

  constructor(options: HostGateOptions) {
    this.#rules = options.rules;
    this.#adaptive = options.adaptive ?? true;
    this.#tokens = options.tokens;
    this.#onWait = options.onWait ?? (() => {});
    this.#hostConcurrency = options.hostConcurrency ?? 6;
    this.#maxPauseMs = options.maxPauseMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  get stats(): HostGateStats {
    return this.#history.snapshot(this.#hosts.values());
  }

  /**
   * Waits until a request to `origin`'s host may start. Synchronous for hosts without state.
   * Resolves `undefined` when the host has not let it start within `maxWaitMs` (the URL's time
   * left): the caller ends the URL rather than wait on.
   */
  enter(origin: string, signal?: AbortSignal, maxWaitMs = Number.POSITIVE_INFINITY): HostTicket | Promise<HostTicket | undefined> {
    if (this.#hosts.size === 0 && this.#rules.empty) return NO_TICKET;
    const host = hostOfOrigin(origin);
    // Only a host with limits gets state here; pushback and Crawl-delay give it some later.
    if (!this.#hosts.has(host) && this.#rules.limitsOf(host) === undefined) return NO_TICKET;
    const state = this.#stateOf(host);
    if (state.waiters.size === 0 && this.#mayStart(state)) return this.#take(state);
    return this.#park(state, signal, maxWaitMs);
  }

  /**
   * Ends a request started with `ticket`. A host without state (no rule, no pushback yet) shares
   * one ticket, so its pushback is taken here, from the origin: a host that never pushes back
   * never gets state.
   */
  done(ticket: HostTicket, origin: string, feedback: AttemptFeedback): void {
    if (ticket !== NO_TICKET) {
      ticket.done(feedback);
    } else if (feedback.pushback && this.#adaptive) {
      this.#pushback(hostOfOrigin(origin), feedback);
    }
  }

  /**
   * Lowers `origin`'s host's rate to `rate` (a robots.txt Crawl-delay), keeping the lower of it and
   * any rule's. The host keeps the state while the engine lives (bounded by the hosts crawled).
   */
  limitRate(origin: string, rate: number): void {
    const state = this.#stateOf(hostOfOrigin(origin));
    const limited = Math.min(state.limits?.rate ?? Number.POSITIVE_INFINITY, rate);
    state.limits = { ...state.limits, rate: limited };
    state.rate = Math.min(state.rate ?? Number.POSITIVE_INFINITY, limited);
  }

  close(): void {
    for (const state of this.#hosts.values()) clearTimeout(state.timer);
  }

  /** The host's state, created with its rule's limits (if any) on first need. */
  #stateOf(host: string): HostState {
    let state = this.#hosts.get(host);
    if (state === undefined) {
      state = new HostState(host, this.#rules.limitsOf(host), this.#now());
      this.#hosts.set(host, state);
    }
    return state;
  }

  #mayStart(state: HostState): boolean {
    const now = this.#now();
    if (now < state.pausedUntil || state.inFlight >= Math.floor(state.allowed)) return false;
    if (state.rate === undefined) return true;
    if (this.#tokens && state.limits?.rate !== undefined) {
      if (now >= state.tokensValidUntil) state.tokens = 0;
      if (state.tokens < 1) this.#lease(state);
      return state.tokens >= 1;
    }
    state.refill(now);
    return state.tokens >= 1;
  }

  #take(state: HostState): HostTicket {
    state.inFlight += 1;
    if (state.rate !== undefined) state.tokens -= 1;
    return {
      done: (feedback) => {
        state.inFlight -= 1;
        if (feedback?.pushback && this.#adaptive) this.#pushback(state.host, feedback);
        else if (feedback) state.recover();
        this.#wake(state);
      },
    };
  }

  #park(state: HostState, signal: AbortSignal | undefined, maxWaitMs: number): Promise<HostTicket | undefined> {
    state.waits += 1;
    this.#history.countWait();
    this.#onWait(1);
    return new Promise<HostTicket | undefined>((resolve) => {
      let expiry: NodeJS.Timeout | undefined;
      const waiter = (ticket: HostTicket | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(expiry);
        this.#onWait(-1);
        resolve(ticket);
      };
      // An aborted run lets its waiters go at once: their attempt sees the abort and ends ABORTED.
      const onAbort = () => {
        if (state.waiters.remove(waiter)) waiter(NO_TICKET);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Timers only for the waits that could pass the URL's limit (a day at most: no overflow).
      if (maxWaitMs < MAX_TIMER_MS) {
        expiry = setTimeout(() => {
          if (state.waiters.remove(waiter)) waiter(undefined);
        }, Math.max(1, maxWaitMs));
      }
      state.waiters.push(waiter);
      this.#schedule(state);
    });
  }

  /** Starts waiters while the host allows, then sets a timer for the next chance if some remain. */
  #wake(state: HostState): void {
    while (state.waiters.size > 0 && this.#mayStart(state)) state.waiters.shift()!(this.#take(state));
    if (state.waiters.size > 0) this.#schedule(state);
    else if (state.calm) this.#forget(state);
  }

  #schedule(state: HostState): void {
    if (state.timer !== undefined) return;
    const now = this.#now();
    let at = Math.max(now, state.pausedUntil);
    if (state.rate !== undefined && state.tokens < 1 && !this.#tokens) at = Math.max(at, now + ((1 - state.tokens) / state.rate) * 1000);
    // Waiting on concurrency is woken by `done`; on a fleet lease, by the lease.
    if (at === now && state.inFlight >= Math.floor(state.allowed)) return;
    if (at === now && this.#tokens && state.leasing) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.#wake(state);
    }, Math.max(1, at - now));
  }

  #lease(state: HostState): void {
    if (state.leasing || state.rate === undefined) return;
    state.leasing = true;
    const want = Math.max(1, Math.ceil(burstOf(state.rate)));
    this.#tokens!.lease(state.host, state.rate, want).then(({ granted, retryAt }) => {
      if (this.#now() >= state.tokensValidUntil) state.tokens = 0;
      state.tokens += granted;
      state.tokensValidUntil = retryAt;
      state.leasing = false;
      // The fleet used this window's tokens: ask again when the next one opens.
      if (granted === 0) state.pausedUntil = Math.max(state.pausedUntil, retryAt);
      this.#wake(state);
    }, () => {
      // The table could not be reached: fall back to this process's share of a second.
      state.leasing = false;
      state.pausedUntil = Math.max(state.pausedUntil, this.#now() + 1000);
      state.tokens = 1;
      state.tokensValidUntil = this.#now() + 2000;
      this.#wake(state);
    });
  }

  /** A host pushed back: slowed down from what it may have in flight (HostState.slowDown). */
  #pushback(host: string, feedback: AttemptFeedback): void {
    this.#history.countPushback();
    // A host without state had no count of its own: as many requests as it may have in flight.
    const known = this.#hosts.has(host);
    const state = this.#stateOf(host);
    const current = state.allowed !== Number.POSITIVE_INFINITY ? state.allowed
      : known ? Math.max(1, state.inFlight + 1) : this.#hostConcurrency;
    const retryAfterMs = feedback.retryAfterMs === undefined ? undefined : Math.min(feedback.retryAfterMs, this.#maxPauseMs);
    state.slowDown(retryAfterMs === undefined ? feedback : { ...feedback, retryAfterMs }, current, this.#now());
    this.#schedule(state);
  }

  #forget(state: HostState): void {
    this.#history.keep(state);
    this.#hosts.delete(state.host);
  }
}

export { HostGate };
export type { AttemptFeedback, HostGateStats, HostTicket, TokenSource };
