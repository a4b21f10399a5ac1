/**
 * A log-linear latency histogram: fixed memory (about 2,000 buckets), values from 1 µs to hours
 * with ~1% relative error, mergeable, so a million samples cost nothing to keep and percentiles
 * stay honest (no sampling).
 */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const MIN_MS = 0.001;
const BUCKETS = Math.ceil(Math.log(24 * 3_600_000 / MIN_MS) / LOG_GROWTH) + 1;

class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;
  min = Number.POSITIVE_INFINITY;

  record(ms: number): void {
    const value = Math.max(ms, 0);
    this.#counts[bucketOf(value)]! += 1;
    this.count += 1;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
  }

  merge(other: LatencyHistogram): void {
    other.#counts.forEach((n, i) => { this.#counts[i]! += n; });
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
    this.min = Math.min(this.min, other.min);
  }

  /** The value at quantile `q` (0..1): the upper edge of its bucket, clamped to the observed max. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

function upperEdge(bucket: number): number {
  return MIN_MS * GROWTH ** bucket;
}

export { LatencyHistogram };
