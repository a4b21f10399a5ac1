/**
 * The one definition of every integer setting's range. Engine options, environment variables,
 * CLI flags, queue-message `options` and construct props all validate against this table, so a
 * value accepted in one place is accepted in every other (test/config/option-ranges.test.ts).
 */
interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

/** Lambda's longest timeout: no single wait needs to be longer (Lambda quotas). */
const FIFTEEN_MINUTES_MS = 900_000;

const OPTION_RANGES = {
  /** Also at most the connection budget (`maxSockets`), checked by the engine. */
  concurrency: { min: 1, max: 4_096 },
  perOrigin: { min: 1, max: 4_096 },
  maxSockets: { min: 1, max: 1_000_000 },
  timeoutMs: { min: 1, max: FIFTEEN_MINUTES_MS },
  connectTimeoutMs: { min: 1, max: FIFTEEN_MINUTES_MS },
  /** Everything one URL may wait for, attempts included: up to a day (a slow host's long queue). */
  urlTimeoutMs: { min: 1, max: 86_400_000 },
  headersTimeoutMs: { min: 1, max: FIFTEEN_MINUTES_MS },
  bodyIdleTimeoutMs: { min: 1, max: FIFTEEN_MINUTES_MS },
  retries: { min: 0, max: 10 },
  retryBaseDelayMs: { min: 0, max: 60_000 },
  retryMaxDelayMs: { min: 0, max: 600_000 },
  maxRetryAfterMs: { min: 0, max: 600_000 },
  maxRedirects: { min: 0, max: 20 },
  maxBodyBytes: { min: 0, max: 1024 ** 3 },
  /** A body is cut at this many decoded bytes (0: the status and headers only). */
  truncateAt: { min: 0, max: 1024 ** 3 },
  dnsTtlMs: { min: 0, max: 86_400_000 },
  keepAliveTimeoutMs: { min: 1, max: 600_000 },
  /** Days a job's items and records are kept (`JOB_RETENTION_DAYS`, the construct's `resultsExpiration`). */
  jobRetentionDays: { min: 1, max: 36_500 },
  /** URLs per queue message: bounds the work (and memory) one record can demand. */
  messageUrls: { min: 1, max: 10_000 },
  /** Messages per batch, as Lambda's SQS event source allows (10,000 with a batching window). */
  batchSize: { min: 1, max: 10_000 },
  /** Lambda's SQS event source allows a window of up to 300 s. */
  batchingWindowMs: { min: 0, max: 300_000 },
  pollers: { min: 1, max: 64 },
  perHostConcurrency: { min: 1, max: 4_096 },
  maxAttemptsPerUrl: { min: 1, max: 50 },
  deadlineMarginMs: { min: 0, max: 600_000 },
  /**
   * Continuation hops a message may take. Lambda stops a Lambda → same queue → Lambda loop after
   * about 16 hops (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html).
   */
  maxContinuationHops: { min: 0, max: 10 },
  /** The hop count a message carries (never past the most hops, with room for old messages). */
  hop: { min: 0, max: 100 },
  /** Attempts a request carries from earlier invocations. */
  priorAttempts: { min: 0, max: 1_000 },
  /** A job ends failed past this share of failed URLs, in whole percent. */
  toleratedFailurePercentage: { min: 0, max: 100 },
  /** The worker's stand-in for a Lambda timeout (Lambda allows 1 s to 900 s). */
  invocationTimeoutMs: { min: 1_000, max: FIFTEEN_MINUTES_MS },
  /** A run's or worker's own `--deadline`: up to a week. */
  runDeadlineMs: { min: 1, max: 7 * 24 * 3_600_000 },
  /** `job wait --timeout`: up to a week. */
  jobWaitS: { min: 1, max: 7 * 24 * 3_600 },
  /** SQS's visibility timeout: 0 to 12 hours (SQS quotas). */
  visibilityTimeoutS: { min: 0, max: 43_200 },
  /** SQS's redrive policy allows 1 to 1,000 receives. */
  maxReceiveCount: { min: 1, max: 1_000 },
  /** A TCP port; 0 lets the system choose. */
  port: { min: 0, max: 65_535 },
} as const satisfies Record<string, IntegerRange>;

/** Requests per second a host limit may be: one every 1,000 s up to 10,000 a second (not an integer). */
const PER_HOST_RATE = { min: 0.001, max: 10_000 } as const;

type RangedOption = keyof typeof OPTION_RANGES;

function inRange(value: number, range: IntegerRange): boolean {
  return Number.isInteger(value) && value >= range.min && value <= range.max;
}

/** `an integer from 1 to 4096`: the words every surface uses for a range. */
function describeRange(range: IntegerRange): string {
  return `an integer from ${range.min} to ${range.max}`;
}

export { describeRange, inRange, OPTION_RANGES, PER_HOST_RATE };
export type { IntegerRange, RangedOption };
