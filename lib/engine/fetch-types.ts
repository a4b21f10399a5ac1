import type { ResultError } from '../core/errors.ts';
import type { ChangeClass } from './change.ts';
import type { TlsFacts } from '../net/connection-facts.ts';
import type { Timings } from './exchange-facts.ts';

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
  /** Statuses that count as success for this URL (`200-399,404`), instead of the engine's `okStatus`. */
  readonly okStatus?: string;
  /** With method HEAD: ask again with GET when the server answers 405 or 501 (the engine's `headFallback` otherwise). */
  readonly headFallback?: boolean;
  /** Per-request limits (from a queue message's `options`); they can only tighten the engine's. */
  readonly limits?: RequestLimits;
  /**
   * The earlier run's record of this URL, when this run compares with one: its validators make
   * the request conditional, and the result gets a `change` class. `null`: the run compares, but
   * the earlier run had no record of the URL (`new`).
   */
  readonly previous?: PreviousRecord | null;
}

/** What a later run needs of a URL's record: whether it was OK, and what its content was. */
interface PreviousRecord {
  readonly ok: boolean;
  readonly status: number | null;
  readonly sha256?: string;
  readonly normalizedSha256?: string;
  readonly etag?: string;
  readonly lastModified?: string;
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
  /** True for a final status the run counts as success (`okStatus`, 2xx by default), or a `304` to its validators. */
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
  /** The final response's `ETag`, when it has one (a validator for the next run). */
  etag?: string;
  /** The final response's `Last-Modified`, when it has one (a validator for the next run). */
  lastModified?: string;
  /**
   * sha256 (hex) of the decoded body, with bodyMode `hash` or `keep`, and always when the run
   * compares; for a `304 Not Modified`, the earlier run's.
   */
  sha256?: string;
  /**
   * sha256 of the body with the matches of the engine's `ignoreInBody` patterns removed (volatile
   * parts: timestamps, tokens), when it has any and the body is hashed; for a `304`, the earlier
   * run's. A comparison uses it, when both records have it, instead of `sha256`.
   */
  normalizedSha256?: string;
  /** The server answered `304 Not Modified` to the validators of the earlier run (no body was sent). */
  notModified?: true;
  /** What became of the URL since the earlier run, when the run compares (`ChangeClass`). */
  change?: ChangeClass;
  /** The body was cut at `truncateAt` bytes (`bytes`, `sha256` and `body` are of what was kept). */
  truncated?: true;
  /** A HEAD was answered 405 or 501, and the URL was fetched again with GET (`headFallback`). */
  headFallback?: true;
  /** Each redirect followed (or refused), in order: the URL that answered and its status (`redirectChain`). */
  redirectChain?: RedirectHop[];
  /** The final response's headers named by `keepHeaders` that it had (lowercase names; repeats joined by `, `). */
  headers?: Record<string, string>;
  /** The HTTPS connection of the final response: certificate and protocol (`tlsInfo`). */
  tls?: TlsFacts;
  /** Phases of the final exchange, ms (`timings`); 0 for those a reused connection skipped. */
  timings?: Timings;
  /** The decoded body, base64, with bodyMode `keep`. */
  body?: string;
  error: ResultError | null;
}

interface RedirectHop {
  readonly url: string;
  readonly status: number;
}

export type { FetchRequest, FetchResult, PreviousRecord, RedirectHop, RequestLimits };
