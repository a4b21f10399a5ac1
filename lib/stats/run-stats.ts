import type { FetchResult } from '../engine/fetch-types.ts';
import { LatencyHistogram } from './latency-histogram.ts';

interface RunSummary {
  readonly urls: number;
  readonly ok: number;
  readonly failed: number;
  /** Outcomes by error code (`OK` for success). */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly retries: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly urlsPerSecond: number;
  readonly errorRate: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** Records by change class, when the run compared with an earlier one (`missing` added by the caller). */
  readonly changes?: Readonly<Record<string, number>>;
  /** The fewest days any fetched URL's certificate had left, when records carry `tls`. */
  readonly certificateDaysLeftMin?: number;
  /** Connections the run opened (each a TCP, and for HTTPS a TLS, handshake), added by the caller. */
  readonly connectionsOpened?: number;
  /** Requests the run sent on a connection kept alive from an earlier request, added by the caller. */
  readonly connectionsReused?: number;
}

/** Attempts beyond a URL's first (redirect hops and the free stale retry are not attempts). */
function retriesOf(result: FetchResult): number {
  return Math.max(0, result.attempts - 1);
}

/**
 * Whether this process made a request for the result (refused, exhausted or never-started URLs
 * have no latency worth a percentile).
 */
function fetchedHere(result: Pick<FetchResult, 'attempts' | 'latencyMs'>): boolean {
  return result.attempts > 0 && result.latencyMs > 0;
}

/** Counts and latency distribution of every final result recorded in a run. */
class RunStats {
  readonly latency = new LatencyHistogram();
  readonly outcomes = new Map<string, number>();
  /** Records by change class (only records that carry one). */
  readonly changes = new Map<string, number>();
  urls = 0;
  ok = 0;
  retries = 0;
  bytes = 0;
  /** The fewest `tls.daysLeft` among the records (undefined until one carries `tls`). */
  certificateDaysLeftMin: number | undefined;
  readonly #startedAt = performance.now();

  record(result: FetchResult): void {
    this.urls += 1;
    if (result.ok) this.ok += 1;
    // URLs refused or exhausted without a request here add no retries (their attempts are old).
    if (fetchedHere(result)) this.retries += retriesOf(result);
    this.bytes += result.bytes;
    const outcome = result.error?.code ?? 'OK';
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    if (fetchedHere(result)) this.latency.record(result.latencyMs);
    if (result.change !== undefined) this.changes.set(result.change, (this.changes.get(result.change) ?? 0) + 1);
    if (result.tls !== undefined) this.certificateDaysLeftMin = Math.min(this.certificateDaysLeftMin ?? Infinity, result.tls.daysLeft);
  }

  summary(now = performance.now()): RunSummary {
    const elapsedMs = now - this.#startedAt;
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return {
      urls: this.urls,
      ok: this.ok,
      failed: this.urls - this.ok,
      outcomes: Object.fromEntries([...this.outcomes].sort(([a], [b]) => a.localeCompare(b))),
      retries: this.retries,
      bytes: this.bytes,
      elapsedMs: Math.round(elapsedMs),
      urlsPerSecond: elapsedMs > 0 ? Math.round((this.urls / elapsedMs) * 1000 * 10) / 10 : 0,
      errorRate: this.urls > 0 ? Math.round(((this.urls - this.ok) / this.urls) * 10_000) / 10_000 : 0,
      latencyMs: {
        p50: round(this.latency.percentile(0.5)),
        p90: round(this.latency.percentile(0.9)),
        p99: round(this.latency.percentile(0.99)),
        max: round(this.latency.max),
        mean: round(this.latency.mean),
      },
      ...(this.changes.size > 0 ? { changes: Object.fromEntries([...this.changes].sort(([a], [b]) => a.localeCompare(b))) } : {}),
      ...(this.certificateDaysLeftMin === undefined ? {} : { certificateDaysLeftMin: this.certificateDaysLeftMin }),
    };
  }
}

export { fetchedHere, retriesOf, RunStats };
export type { RunSummary };
