import { hostOfOrigin, type HostLimits, type HostRules } from './host-rules.ts';

/** Hands out request tokens for a host shared with other environments (see rate-leases.ts). */
interface TokenSource {
  /**
   * Up to `want` tokens of `host`'s `rate` for now. `granted` 0 means the fleet used this
   * window's tokens: ask again at `retryAt` (ms since the epoch).
   */
  lease(host: string, rate: number, want: number): Promise<{ readonly granted: number; readonly retryAt: number }>;
}

/** What one request to a host ended with, for adaptive backoff. */
interface AttemptFeedback {
  /** The host pushed back: 429, 503, or a `Retry-After` on a retryable status. */
  readonly pushback: boolean;
  readonly retryAfterMs?: number;
  /** When the request was sent (ms since the epoch): answers to requests sent before the host was last slowed belong to that same episode. */
  readonly sentAt?: number;
}

/** Permission to send one request to a host; `done` must be called exactly once. */
interface HostTicket {
  done(feedback?: AttemptFeedback): void;
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
  readonly now?: () => number;
}

interface HostGateStats {
  /** Requests that had to wait for their host (a limit, a pause or no token). */
  readonly waits: number;
  /** Times a host pushed back (429, 503, Retry-After) and was slowed down. */
  readonly pushbacks: number;
  /** The hosts that made requests wait most, most first (at most 5). */
  readonly topHosts: readonly { readonly host: string; readonly waits: number; readonly pushbacks: number }[];
}

/** First pause after a pushback without Retry-After, doubled at each further one up to the cap. */
const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 60_000;
/** Concurrency a host without a limit may reach again before it is considered recovered. */
const RECOVERED_CONCURRENCY = 64;

const NO_TICKET: HostTicket = { done() {} };

/** The politeness state of one host: only hosts with a rule or a recent pushback have one. */
class HostState {
  readonly host: string;
  limits: HostLimits | undefined;
  /** The current concurrency cap: the rule's, halved by pushbacks, growing back by 1/cap per success. */
  allowed: number;
  inFlight = 0;
  /** The current rate: the rule's, halved by pushbacks (not below 1/16 of it), growing back. */
  rate: number | undefined;
  tokens = 1;
  refilledAt: number;
  /** Fleet tokens belong to one window: unused ones are dropped when it ends (no banking). */
  tokensValidUntil = 0;
  leasing = false;
  pausedUntil = 0;
  /** When the host was last slowed down (ms since the epoch). */
  slowedAt = 0;
  nextPauseMs = FIRST_PAUSE_MS;
  readonly waiters: Array<(ticket: HostTicket) => void> = [];
  timer: NodeJS.Timeout | undefined;
  waits = 0;
  pushbacks = 0;

  constructor(host: string, limits: HostLimits | undefined, now: number) {
    this.host = host;
    this.limits = limits;
    this.allowed = limits?.concurrency ?? Number.POSITIVE_INFINITY;
    this.rate = limits?.rate;
    this.refilledAt = now;
  }

  get calm(): boolean {
    return this.limits === undefined && this.allowed === Number.POSITIVE_INFINITY && this.inFlight === 0
      && this.waiters.length === 0 && this.timer === undefined;
  }
}

/**
 * Per-host politeness inside one engine: a concurrency cap and a request rate per host (from
 * `HostRules`), and adaptive backoff — a host that answers 429 or 503 (or sends Retry-After) has
 * its concurrency and rate halved, and is paused for its Retry-After, or (1 s doubling to 60 s)
 * when it pushes back at one request in flight; each
 * answer without pushback grows them back (additive increase, multiplicative decrease). A request
 * waiting for its host holds no engine permit, so other hosts keep their throughput. Hosts with no
 * rule and no pushback have no state at all: `enter` returns at once without allocating.
 */
class HostGate {
  readonly #rules: HostRules;
  readonly #adaptive: boolean;
  readonly #tokens: TokenSource | undefined;
  readonly #onWait: (delta: number) => void;
  readonly #hostConcurrency: number;
  readonly #now: () => number;
  readonly #hosts = new Map<string, HostState>();
  #waits = 0;
  #pushbacks = 0;
  /** Hosts that made requests wait, kept for the summary (bounded). */
  readonly #history = new Map<string, { waits: number; pushbacks: number }>();

  constructor(options: HostGateOptions) {
    this.#rules = options.rules;
    this.#adaptive = options.adaptive ?? true;
    this.#tokens = options.tokens;
    this.#onWait = options.onWait ?? (() => {});
    this.#hostConcurrency = options.hostConcurrency ?? 6;
    this.#now = options.now ?? Date.now;
  }

  get stats(): HostGateStats {
    for (const state of this.#hosts.values()) this.#remember(state);
    const topHosts = [...this.#history].map(([host, counts]) => ({ host, ...counts }))
      .sort((a, b) => b.waits + b.pushbacks - (a.waits + a.pushbacks)).slice(0, 5);
    return { waits: this.#waits, pushbacks: this.#pushbacks, topHosts };
  }

  /** Waits until a request to `origin`'s host may start. Synchronous for hosts without state. */
  enter(origin: string, signal?: AbortSignal): HostTicket | Promise<HostTicket> {
    if (this.#hosts.size === 0 && this.#rules.empty) return NO_TICKET;
    const host = hostOfOrigin(origin);
    // Only a host with limits gets state here; pushback and Crawl-delay give it some later.
    if (!this.#hosts.has(host) && this.#rules.limitsOf(host) === undefined) return NO_TICKET;
    const state = this.#stateOf(host);
    if (state.waiters.length === 0 && this.#mayStart(state)) return this.#take(state);
    return this.#park(state, signal);
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
    state.tokens = Math.min(burstOf(state.rate), state.tokens + ((now - state.refilledAt) / 1000) * state.rate);
    state.refilledAt = now;
    return state.tokens >= 1;
  }

  #take(state: HostState): HostTicket {
    state.inFlight += 1;
    if (state.rate !== undefined) state.tokens -= 1;
    return {
      done: (feedback) => {
        state.inFlight -= 1;
        if (feedback?.pushback && this.#adaptive) this.#pushback(state.host, feedback);
        else if (feedback) this.#recover(state);
        this.#wake(state);
      },
    };
  }

  #park(state: HostState, signal: AbortSignal | undefined): Promise<HostTicket> {
    state.waits += 1;
    this.#waits += 1;
    this.#onWait(1);
    return new Promise<HostTicket>((resolve) => {
      const waiter = (ticket: HostTicket) => {
        signal?.removeEventListener('abort', onAbort);
        this.#onWait(-1);
        resolve(ticket);
      };
      // An aborted run lets its waiters go at once: their attempt sees the abort and ends ABORTED.
      const onAbort = () => {
        const index = state.waiters.indexOf(waiter);
        if (index !== -1) state.waiters.splice(index, 1);
        waiter(NO_TICKET);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      state.waiters.push(waiter);
      this.#schedule(state);
    });
  }

  /** Starts waiters while the host allows, then sets a timer for the next chance if some remain. */
  #wake(state: HostState): void {
    while (state.waiters.length > 0 && this.#mayStart(state)) state.waiters.shift()!(this.#take(state));
    if (state.waiters.length > 0) this.#schedule(state);
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

  /**
   * A host pushed back: its concurrency (and rate) are halved, from what it had in flight. It is
   * paused as a whole only when it says for how long (`Retry-After`, honoured as given) or when it
   * pushes back at one request in flight, which cannot be halved: 1 s, doubling on each further
   * such episode up to 60 s. Pausing at every pushback made sporadic errors ruinous: a host
   * answering 503 to 3 % of URLs, once each, fell to 32 URLs/s against 1,966 without backoff
   * (`npm run bench:politeness`; now 1,815). Answers to requests sent
   * before the host was last slowed belong to that episode (the requests were already on their
   * way): they extend the pause to their Retry-After but do not halve the limits again or lengthen
   * the next pause, as TCP counts one loss per window.
   */
  #pushback(host: string, feedback: AttemptFeedback): void {
    this.#pushbacks += 1;
    // A host without state had no count of its own: as many requests as it may have in flight.
    const known = this.#hosts.has(host);
    const state = this.#stateOf(host);
    state.pushbacks += 1;
    const now = this.#now();
    const sameEpisode = feedback.sentAt !== undefined && feedback.sentAt < state.slowedAt;
    const current = state.allowed !== Number.POSITIVE_INFINITY ? state.allowed
      : known ? Math.max(1, state.inFlight + 1) : this.#hostConcurrency;
    const atFloor = !sameEpisode && Math.floor(current) <= 1;
    const pauseMs = feedback.retryAfterMs ?? (atFloor ? state.nextPauseMs : 0);
    state.pausedUntil = Math.max(state.pausedUntil, now + pauseMs);
    if (!sameEpisode) {
      state.slowedAt = now;
      if (atFloor && feedback.retryAfterMs === undefined) state.nextPauseMs = Math.min(MAX_PAUSE_MS, state.nextPauseMs * 2);
      state.allowed = Math.max(1, Math.floor(current / 2));
      if (state.rate !== undefined && state.limits?.rate !== undefined) state.rate = Math.max(state.limits.rate / 16, state.rate / 2);
    }
    this.#schedule(state);
  }

  #recover(state: HostState): void {
    state.nextPauseMs = Math.max(FIRST_PAUSE_MS, state.nextPauseMs / 2);
    const cap = state.limits?.concurrency;
    if (state.allowed !== Number.POSITIVE_INFINITY) {
      state.allowed += 1 / state.allowed;
      if (cap !== undefined) state.allowed = Math.min(cap, state.allowed);
      else if (state.allowed >= RECOVERED_CONCURRENCY) state.allowed = Number.POSITIVE_INFINITY;
    }
    const ruleRate = state.limits?.rate;
    if (ruleRate !== undefined && state.rate !== undefined && state.rate < ruleRate) state.rate = Math.min(ruleRate, state.rate + ruleRate / 20);
  }

  #forget(state: HostState): void {
    this.#remember(state);
    this.#hosts.delete(state.host);
  }

  #remember(state: HostState): void {
    if (state.waits === 0 && state.pushbacks === 0) return;
    const seen = this.#history.get(state.host) ?? { waits: 0, pushbacks: 0 };
    seen.waits += state.waits;
    seen.pushbacks += state.pushbacks;
    state.waits = 0;
    state.pushbacks = 0;
    this.#history.delete(state.host);
    if (this.#history.size >= 1_000) this.#history.delete(this.#history.keys().next().value!);
    this.#history.set(state.host, seen);
  }

  close(): void {
    for (const state of this.#hosts.values()) clearTimeout(state.timer);
  }
}

/** Tokens a host may bank: one for slow rates (even spacing), a quarter second's worth above 4/s. */
function burstOf(rate: number): number {
  return rate <= 4 ? 1 : rate / 4;
}

export { HostGate };
export type { AttemptFeedback, HostGateStats, HostTicket, TokenSource };
