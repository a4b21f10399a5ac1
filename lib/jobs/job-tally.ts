import type { FetchResult } from '../engine/fetch-types.ts';
import { fetchedHere } from '../stats/run-stats.ts';

/** What a tally reads of a record: the same fields in a result and in its stored JSON line. */
type TalliedRecord = Pick<FetchResult, 'ok' | 'bytes' | 'error' | 'change' | 'attempts' | 'latencyMs'>;

/**
 * What one message contributes to its job: the URLs that got their final record in this
 * processing (URLs handed on in a continuation are counted with the continuation), by outcome.
 */
class JobTally {
  finals = 0;
  ok = 0;
  bytes = 0;
  /** Final records by error code (`OK` not included). */
  readonly codes = new Map<string, number>();
  /** Final records by change class, in a job that compares with an earlier one. */
  readonly changes = new Map<string, number>();
  latencyCount = 0;
  latencySumMs = 0;
  /** Latencies by power-of-two bucket: bucket b holds (2^(b-1), 2^b] ms. */
  readonly latencyBuckets = new Map<number, number>();

  /**
   * The tally of a message's stored records (its object's lines): what the delivery that stored
   * them tallied as it wrote them, for a delivery that counts what another one stored.
   */
  static ofLines(lines: readonly string[]): JobTally {
    const tally = new JobTally();
    for (const line of lines) tally.record(JSON.parse(line) as TalliedRecord);
    return tally;
  }

  record(result: TalliedRecord): void {
    this.finals += 1;
    if (result.ok) this.ok += 1;
    this.bytes += result.bytes;
    if (result.error) this.codes.set(result.error.code, (this.codes.get(result.error.code) ?? 0) + 1);
    if (result.change !== undefined) this.changes.set(result.change, (this.changes.get(result.change) ?? 0) + 1);
    if (fetchedHere(result)) {
      this.latencyCount += 1;
      this.latencySumMs += result.latencyMs;
      const bucket = latencyBucket(result.latencyMs);
      this.latencyBuckets.set(bucket, (this.latencyBuckets.get(bucket) ?? 0) + 1);
    }
  }
}

/** Buckets up to 2^20 ms (17 minutes, past Lambda's longest run); 0 holds ≤ 1 ms. */
const MAX_LATENCY_BUCKET = 20;

function latencyBucket(ms: number): number {
  return Math.min(MAX_LATENCY_BUCKET, Math.max(0, Math.ceil(Math.log2(Math.max(ms, 1)))));
}

/** The upper bound (ms) of the bucket holding the `quantile` of a bucketed distribution. */
function quantileOf(buckets: ReadonlyMap<number, number>, quantile: number): number | undefined {
  const total = [...buckets.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  let seen = 0;
  for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(bucket)!;
    if (seen >= quantile * total) return 2 ** bucket;
  }
  return 2 ** MAX_LATENCY_BUCKET;
}

export { JobTally, latencyBucket, quantileOf };
