/**
 * The stable error codes of a fetch result. Decisions (retry, metrics, exit codes) check these
 * codes, never message text. Documented in the README's "Error codes" table.
 */
export const ErrorCode = {
  /** Unparsable URL or non-http(s) scheme (in the input or in a redirect's `Location`). */
  INVALID_URL: 'INVALID_URL',
  /** The request around a valid URL is malformed: bad method, header name/value or body. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** The destination address is not allowed by the destination policy (SSRF defence). */
  BLOCKED_DESTINATION: 'BLOCKED_DESTINATION',
  /** The host name did not resolve. */
  DNS_FAILURE: 'DNS_FAILURE',
  /** The TCP connection could not be established (refused, unreachable, connect timeout). */
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** Headers, body or the whole attempt took longer than allowed. */
  TIMEOUT: 'TIMEOUT',
  /** The peer reset or closed the connection before the response was complete. */
  CONNECTION_RESET: 'CONNECTION_RESET',
  /** TLS handshake or certificate verification failed. */
  TLS_ERROR: 'TLS_ERROR',
  /** More redirects than `maxRedirects`. */
  TOO_MANY_REDIRECTS: 'TOO_MANY_REDIRECTS',
  /** The decoded body is larger than `maxBodyBytes`. */
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  /** The response was not valid HTTP (bad framing, bad headers, bad encoding). */
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  /** The final response's status is not one the run counts as success (2xx unless `okStatus` says otherwise). */
  HTTP_STATUS: 'HTTP_STATUS',
  /** A successful response's Content-Type is not among `acceptTypes`; its body was not read. */
  UNACCEPTED_TYPE: 'UNACCEPTED_TYPE',
  /** The run (or invocation) deadline passed or it was cancelled before the URL finished. */
  ABORTED: 'ABORTED',
  /**
   * This machine ran out of file descriptors or local ports for longer than the attempt's deadline
   * (the engine waits out shorter shortages without spending a retry).
   */
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  /** robots.txt disallows the URL for this crawler (with `robotsTxt` on; RFC 9309). */
  ROBOTS_DISALLOWED: 'ROBOTS_DISALLOWED',
  /** The URL used up its attempts across invocations (continuations and redeliveries). */
  ATTEMPTS_EXHAUSTED: 'ATTEMPTS_EXHAUSTED',
  /** Anything not classified above; a bug report is welcome when this appears. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Error carried in a result record. Plain data so it serialises as `{ code, message }`. */
interface ResultError {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * The base class of every error batchfetch raises itself, as undici's `errors.js` has one: each
 * subclass has a stable `code`, and decisions (retries, exit codes, what is logged) check that
 * code, never the message text. Errors from elsewhere (Node, undici, the AWS SDK) are classified
 * into these where they matter (net/classify-error.ts).
 */
class BatchfetchError extends Error {
  // Names are written out, not taken from the class: the bundles are minified.
  override readonly name: string = 'BatchfetchError';
  readonly code: string;

  constructor(code: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Why one URL failed: the `error` of its result record, with one of the `ErrorCode`s. */
class FetchError extends BatchfetchError {
  override readonly name = 'FetchError';
  declare readonly code: ErrorCode;
  /** Overrides the retry policy's decision by code (e.g. a temporary DNS failure is retryable). */
  readonly retryable: boolean | undefined;

  constructor(code: ErrorCode, message: string, options?: { readonly cause?: unknown; readonly retryable?: boolean }) {
    // No stack trace: these are outcomes written into result records, not bugs, and capturing
    // one (through deep async frames) was a measurable part of a refused URL's cost in a CPU
    // profile. The `cause` keeps the original error, with its stack, where there is one.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(code, message, options);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.retryable = options?.retryable;
  }

  toResultError(): ResultError {
    return { code: this.code, message: this.message };
  }
}

/**
 * A bad option value. Thrown eagerly by option validation; the message names the option, the
 * expected range and the value received.
 */
class InvalidOptionError extends BatchfetchError {
  override readonly name = 'InvalidOptionError';
  declare readonly code: 'INVALID_OPTION';
  /** The engine option's name, so a command line can name its own flag instead. */
  readonly option: string;
  readonly expected: string;
  readonly received: unknown;

  /** `message` replaces the default "Expected `option` to be …" (an unknown option says so instead). */
  constructor(option: string, expected: string, received: unknown, message?: string) {
    super('INVALID_OPTION', message ?? `Expected \`${option}\` to be ${expected}, got \`${String(received)}\` (${typeof received})`);
    this.option = option;
    this.expected = expected;
    this.received = received;
  }
}

/** Environment variables that cannot be used; lists every problem at once. */
class ConfigurationError extends BatchfetchError {
  override readonly name = 'ConfigurationError';
  declare readonly code: 'INVALID_CONFIGURATION';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('INVALID_CONFIGURATION', `invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** An invocation event that is not what the function takes (an SQS event, an enqueue event). */
class InvalidEventError extends BatchfetchError {
  override readonly name = 'InvalidEventError';
  declare readonly code: 'INVALID_EVENT';

  constructor(message: string) {
    super('INVALID_EVENT', message);
  }
}

export { BatchfetchError, ConfigurationError, FetchError, InvalidEventError, InvalidOptionError };
export type { ResultError };
