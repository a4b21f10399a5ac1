import type { ResultError } from '../core/errors.ts';

/** One URL to fetch, as read from input lines or queue messages. */
interface FetchRequest {
  readonly url: string;
  /** @default 'GET' */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body (UTF-8 text). */
  readonly body?: string;
  /** Caller's identifier, echoed in the result. */
  readonly id?: string;
  /** The input line it was read from (`run`, `enqueue`), echoed in the result. */
  readonly line?: number;
  /** Attempts already spent on this URL in earlier invocations (continuations, redeliveries). */
  readonly priorAttempts?: number;
  /** Per-request limits (from a queue message's `options`); they can only tighten the engine's. */
  readonly limits?: RequestLimits;
}

interface RequestLimits {
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly maxBodyBytes?: number;
}

/** The one final record per URL. */
interface FetchResult {
  /** The URL exactly as given. */
  url: string;
  id?: string;
  /** The input line the URL was read from, when it came from a file (`run`, `enqueue`). */
  line?: number;
  /** True for a final 2xx status. */
  ok: boolean;
  /** Final HTTP status, or null when no response was received. */
  status: number | null;
  /** Attempts made for this URL, including earlier invocations' (`priorAttempts`). */
  attempts: number;
  redirects: number;
  /** The URL of the final response, when a redirect was followed. */
  finalUrl?: string;
  /** Time from the first attempt's start to the final outcome (includes retries and backoff), ms. */
  latencyMs: number;
  /** Decoded body bytes of the final response. */
  bytes: number;
  contentType?: string;
  /** sha256 (hex) of the decoded body, with bodyMode `hash` or `keep`. */
  sha256?: string;
  /** The decoded body, base64, with bodyMode `keep`. */
  body?: string;
  error: ResultError | null;
}

export type { FetchRequest, FetchResult, RequestLimits };
