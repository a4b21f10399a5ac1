import { ErrorCode, type FetchError } from '../core/errors.ts';

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Statuses worth another attempt: the server says "not now", not "no". */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Network failures worth another attempt. TLS, blocked, invalid and size errors are final. */
const RETRYABLE_CODES = new Set<ErrorCode>([
  ErrorCode.CONNECT_FAILED,
  ErrorCode.TIMEOUT,
  ErrorCode.CONNECTION_RESET,
]);

function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method);
}

function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

function isRetryableError(error: FetchError): boolean {
  return error.retryable ?? RETRYABLE_CODES.has(error.code);
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^retry)).
 * `retry` counts from 0 for the first retry. (AWS Architecture Blog, "Exponential Backoff And
 * Jitter": full jitter spreads synchronized clients best.)
 */
function backoffDelay(retry: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Parses `Retry-After` (delta-seconds or an HTTP date) into ms from `now`; undefined when absent
 * or unparsable. Negative (past) dates mean "now".
 */
/** Node's longest timer delay (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  // Clamped to the longest timer Node accepts (about 24.8 days): a larger delay is no answer to
  // wait for, and left as is it would fire at once with a TimeoutOverflowWarning.
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_TIMER_MS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(MAX_TIMER_MS, Math.max(0, date - now));
}

export { backoffDelay, isIdempotent, isRetryableError, isRetryableStatus, parseRetryAfter };
