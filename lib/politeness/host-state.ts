import { FifoQueue } from '../core/fifo-queue.ts';
import type { HostLimits } from './host-rules.ts';

/** Permission to send one request to a host; `done` must be called exactly once. */
interface HostTicket {
  done(feedback?: AttemptFeedback): void;
}

/** What one request to a host ended with, for adaptive backoff. */
interface AttemptFeedback {
  /** The host pushed back: 429, 503, or a `Retry-After` on a retryable status. */
  readonly pushback: boolean;
  readonly retryAfterMs?: number;
  /** When the request was sent (ms since the epoch): answers to requests sent before the host was last slowed belong to that same episode. */
  readonly sentAt?: number;
}

/** First pause after a pushback without Retry-After, doubled at each further one up to the cap. */
const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 60_000;
/** Concurrency a host without a limit may reach again before it is considered recovered. */
const RECOVERED_CONCURRENCY = 64;

/** Tokens a host may bank: one for slow rates (even spacing), a quarter second's worth above 4/s. */
function burstOf(rate: number): number {
  return rate <= 4 ? 1 : rate / 4;
}

/**
 * The politeness state of one host: its limits, what it has in flight, its rate tokens, and how
 * adaptive backoff has slowed it (additive increase, multiplicative decrease). Only hosts with a
 * rule or a recent pushback have one.
 */
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
  readonly waiters = new FifoQueue<(ticket: HostTicket) => void>();
  timer: NodeJS.Timeout | undefined;
  /** Since the counts were last taken for the run's summary (HostStatsHistory). */
  waits = 0;
  pushbacks = 0;

  constructor(host: string, limits: HostLimits | undefined, now: number) {
    this.host = host;
    this.limits = limits;
    this.allowed = limits?.concurrency ?? Number.POSITIVE_INFINITY;
    this.rate = limits?.rate;
    this.refilledAt = now;
  }

  /** Nothing to remember: no limit, no backoff, nothing in flight or waiting. */
  get calm(): boolean {
    return this.limits === undefined && this.allowed === Number.POSITIVE_INFINITY && this.inFlight === 0
      && this.waiters.size === 0 && this.timer === undefined;
  }

  /** Refills the process's own token bucket (hosts without fleet tokens). */
  refill(now: number): void {
    if (this.rate === undefined) return;
    this.tokens = Math.min(burstOf(this.rate), this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }

  /**
   * The host pushed back: its concurrency (and rate) are halved, from `current` (what it may have
   * in flight). It is paused as a whole only when it says for how long (`Retry-After`, honoured
   * as given) or when it pushes back at one request in flight, which cannot be halved: 1 s,
   * doubling on each further such episode up to 60 s. Pausing at every pushback made sporadic
   * errors ruinous (`npm run bench:politeness`, docs/politeness.md). Answers to requests sent
   * before the host was last slowed belong to that episode (the requests were already on their
   * way): they extend the pause to their Retry-After but do not halve the limits again or
   * lengthen the next pause, as TCP counts one loss per window.
   */
  slowDown(feedback: AttemptFeedback, current: number, now: number): void {
    this.pushbacks += 1;
    const sameEpisode = feedback.sentAt !== undefined && feedback.sentAt < this.slowedAt;
    const atFloor = !sameEpisode && Math.floor(current) <= 1;
    const pauseMs = feedback.retryAfterMs ?? (atFloor ? this.nextPauseMs : 0);
    this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    if (sameEpisode) return;
    this.slowedAt = now;
    if (atFloor && feedback.retryAfterMs === undefined) this.nextPauseMs = Math.min(MAX_PAUSE_MS, this.nextPauseMs * 2);
    this.allowed = Math.max(1, Math.floor(current / 2));
    if (this.rate !== undefined && this.limits?.rate !== undefined) this.rate = Math.max(this.limits.rate / 16, this.rate / 2);
  }

  /** An answer without pushback: concurrency and rate grow back toward the rule's (or no limit). */
  recover(): void {
    this.nextPauseMs = Math.max(FIRST_PAUSE_MS, this.nextPauseMs / 2);
    const cap = this.limits?.concurrency;
    if (this.allowed !== Number.POSITIVE_INFINITY) {
      this.allowed += 1 / this.allowed;
      if (cap !== undefined) this.allowed = Math.min(cap, this.allowed);
      else if (this.allowed >= RECOVERED_CONCURRENCY) this.allowed = Number.POSITIVE_INFINITY;
    }
    const ruleRate = this.limits?.rate;
    if (ruleRate !== undefined && this.rate !== undefined && this.rate < ruleRate) this.rate = Math.min(ruleRate, this.rate + ruleRate / 20);
  }
}

export { burstOf, HostState };
export type { AttemptFeedback, HostTicket };
