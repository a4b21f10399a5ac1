import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { FetchError, ErrorCode } from '../core/errors.ts';
import { BodyMode } from './options.ts';
import { BodyReader, tooLarge } from './body-reader.ts';
import type { Cancellable, CancelScope } from './cancel-scope.ts';
import { classifyError } from '../net/classify-error.ts';
import type { TlsFacts } from '../net/connection-facts.ts';
import { ExchangeFacts, type Timings } from './exchange-facts.ts';
import type { AcceptedTypes } from './accepted-types.ts';
import type { StatusSet } from './status-set.ts';

/** What one HTTP exchange ended with: a complete response, or a classified error. */
interface AttemptOutcome {
  readonly status?: number;
  readonly headers?: IncomingHttpHeaders;
  readonly bytes: number;
  readonly sha256?: string;
  readonly normalizedSha256?: string;
  readonly body?: Buffer;
  readonly error?: FetchError;
  /** True once response headers arrived; a reset before that may be a stale pooled socket. */
  readonly responseStarted: boolean;
  /** The body reached the truncation cap and was cut there. */
  readonly truncated?: boolean;
  /** The response's Content-Type is not one the run accepts; its body was not read. */
  readonly unacceptedType?: boolean;
  readonly timings?: Timings;
  readonly tls?: TlsFacts;
}

interface AttemptSettings {
  readonly timeoutMs: number;
  /** The engine's `urlTimeoutMs`, named in the error of a URL that ran out of it. */
  readonly urlTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** A body past `maxBodyBytes` is cut there (`truncated`) instead of failing `BODY_TOO_LARGE`. */
  readonly truncate: boolean;
  /** Media types an OK response may have; others end `UNACCEPTED_TYPE` unread. Undefined: any. */
  readonly acceptTypes: AcceptedTypes | undefined;
  /** Which statuses are OK (only those are held to `acceptTypes`). */
  readonly okStatus: StatusSet;
  /** Time the exchange's phases (`timings`). */
  readonly timings: boolean;
  /** Read the connection's TLS facts (`tls`). */
  readonly tlsInfo: boolean;
  readonly bodyMode: string;
  readonly decompress: boolean;
  /** Removed from bodies before `normalizedSha256` (the engine's `ignoreInBody`). */
  readonly ignore: readonly RegExp[];
  /** Statuses whose body is drained and dropped whatever the mode (redirects being followed). */
  readonly discardBodyOf: (status: number) => boolean;
}

/** The error of a URL that ran out of `urlTimeoutMs`; never retried (its time is gone). */
function urlTimedOut(urlTimeoutMs: number, waitingFor: string): FetchError {
  return new FetchError(ErrorCode.TIMEOUT, `URL exceeded its limit of ${urlTimeoutMs} ms in total (${waitingFor})`, { retryable: false });
}

/**
 * One exchange through undici's low-level `dispatch` API: no stream objects per response, chunks
 * are counted, capped and hashed as they arrive. Every path ends in exactly one `resolve`.
 * Two deadlines, one timer: the attempt's covers the exchange from the moment the request is
 * written to a socket (undici's headers/body timeouts alone let a 1-byte drip run for ever); the
 * URL's covers it from dispatch, so a request queued behind an origin's stalled connections ends
 * too (undici's pool queue has no timeout of its own).
 */
class AttemptHandler implements Dispatcher.DispatchHandler, Cancellable {
  previousActive: Cancellable | undefined;
  nextActive: Cancellable | undefined;
  readonly #settings: AttemptSettings;
  readonly #resolve: (outcome: AttemptOutcome) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** performance.now() when the URL's time runs out. */
  readonly #urlEndsAt: number;
  /** performance.now() when undici wrote the request to a socket; undefined while queued. */
  #startedAt: number | undefined;
  #settled = false;
  #cancelReason: FetchError | undefined;
  #status: number | undefined;
  #headers: IncomingHttpHeaders | undefined;
  #reader: BodyReader | undefined;

  readonly #method: string;
  /** Timings and TLS facts, when the run asks for them. */
  readonly #facts: ExchangeFacts | undefined;

  constructor(settings: AttemptSettings, method: string, path: string, urlEndsAt: number, resolve: (outcome: AttemptOutcome) => void) {
    this.#settings = settings;
    this.#method = method;
    this.#facts = settings.timings || settings.tlsInfo ? new ExchangeFacts(method, path, settings.timings, settings.tlsInfo) : undefined;
    this.#urlEndsAt = urlEndsAt;
    this.#resolve = resolve;
  }

  /**
   * Arms the one timer at dispatch, for the nearer of the attempt's length and the URL's time
   * left. A request usually reaches a socket at once, so the timer first fires no earlier than
   * the attempt deadline would; `#onTimer` then checks both deadlines and re-arms for what is left.
   */
  arm(): void {
    const now = performance.now();
    this.#facts?.dispatched(now);
    this.#timer = setTimeout(this.#onTimer, clampDelay(Math.min(this.#settings.timeoutMs, this.#urlEndsAt - now)));
  }

  readonly #onTimer = (): void => {
    if (this.#settled) return;
    const now = performance.now();
    const attemptEndsAt = this.#startedAt === undefined ? Number.POSITIVE_INFINITY : this.#startedAt + this.#settings.timeoutMs;
    const endsAt = Math.min(attemptEndsAt, this.#urlEndsAt);
    // Timers count whole milliseconds: within one of the deadline is the deadline.
    if (now >= endsAt - 1) {
      this.cancel(attemptEndsAt <= this.#urlEndsAt
        ? new FetchError(ErrorCode.TIMEOUT, `attempt exceeded ${this.#settings.timeoutMs} ms`)
        : urlTimedOut(this.#settings.urlTimeoutMs, this.#startedAt === undefined ? 'waiting for a connection' : 'during its last attempt'));
      return;
    }
    // Still queued: look again when the attempt could have run its length, or at the URL's end.
    this.#timer = setTimeout(this.#onTimer, clampDelay(Math.min(endsAt, now + this.#settings.timeoutMs) - now));
  };

  /** Ends the attempt now with `reason`; the exchange is aborted as soon as undici lets us. */
  cancel(reason: FetchError): void {
    if (this.#settled) return;
    this.#cancelReason = reason;
    this.#controller?.abort(reason);
    this.#fail(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#cancelReason) {
      controller.abort(this.#cancelReason);
      return;
    }
    this.#startedAt = performance.now();
    this.#facts?.written(this.#startedAt);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (this.#settled) return;
    const settings = this.#settings;
    this.#status = statusCode;
    this.#headers = headers;
    this.#facts?.headers(performance.now());
    // HEAD, 204 and 304 responses have no body whatever their Content-Length and Content-Encoding
    // say (RFC 9110 §6.4.1, §8.6, §15.3.5, §15.4.5): body rules do not apply to them.
    const bodiless = this.#method === 'HEAD' || statusCode === 204 || statusCode === 304;
    if (settings.acceptTypes && !bodiless && settings.okStatus.has(statusCode) && !settings.discardBodyOf(statusCode)
      && !settings.acceptTypes.accepts(headerText(headers['content-type']))) {
      // Not a type the run wants: the body is never read, and the connection is dropped.
      this.#settle({ status: statusCode, headers, bytes: 0, responseStarted: true, unacceptedType: true });
      controller.abort(new FetchError(ErrorCode.ABORTED, 'content type not accepted'));
      return;
    }
    const declared = bodiless ? 0 : Number(headers['content-length']);
    if (declared > settings.maxBodyBytes && !settings.truncate) {
      if (settings.discardBodyOf(statusCode)) {
        // A redirect about to be followed: its body is never read, so its size does not matter.
        // The exchange ends here and the connection is dropped rather than drained.
        this.#settle({ status: statusCode, headers, bytes: 0, responseStarted: true });
        controller.abort(new FetchError(ErrorCode.ABORTED, 'redirect body not read'));
        return;
      }
      this.cancel(tooLarge(settings.maxBodyBytes));
      return;
    }
    const mode = bodiless || settings.discardBodyOf(statusCode) ? BodyMode.DISCARD : settings.bodyMode;
    const encoding = settings.decompress && !bodiless ? headerText(headers['content-encoding']) : undefined;
    this.#reader = new BodyReader(mode, settings.maxBodyBytes, encoding, {
      onError: (error) => this.cancel(classifyError(error)),
      onDrain: () => controller.resume(),
      onTruncated: () => {
        // The body is what was kept; the rest is not read, so the connection cannot be reused.
        this.#settleWithBody();
        controller.abort(new FetchError(ErrorCode.ABORTED, 'body truncated'));
      },
    }, settings.ignore, settings.truncate);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (!this.#reader!.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    const reader = this.#reader!;
    reader.end(() => this.#settleWithBody());
  }

  #settleWithBody(): void {
    if (this.#settled) return;
    const reader = this.#reader!;
    this.#settle({
      status: this.#status!,
      headers: this.#headers!,
      bytes: reader.bytes,
      sha256: reader.sha256,
      normalizedSha256: reader.normalizedSha256,
      body: reader.body,
      responseStarted: true,
      ...(reader.truncated ? { truncated: true } : {}),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(this.#cancelReason ?? classifyError(error));
  }

  #fail(error: FetchError): void {
    this.#reader?.destroy();
    // A body over the cap ends a response that did arrive: its record keeps the status and headers.
    const answered = error.code === ErrorCode.BODY_TOO_LARGE && this.#status !== undefined ? { status: this.#status, headers: this.#headers! } : {};
    this.#settle({ error, ...answered, bytes: this.#reader?.bytes ?? 0, responseStarted: this.#status !== undefined });
  }

  #settle(outcome: AttemptOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    // Only an exchange that got a response reports how it went.
    this.#resolve(this.#facts && this.#status !== undefined ? { ...outcome, ...this.#facts.report(performance.now()) } : outcome);
  }
}

/** A timer delay Node accepts: at least 1 ms, at most 2^31-1 ms (longer ones fire at once). */
function clampDelay(ms: number): number {
  return Math.min(Math.max(1, Math.ceil(ms)), 2 ** 31 - 1);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Runs one exchange. When `scope` is cancelled (run deadline) the promise settles at once with
 * `ABORTED`, and undici aborts the request when it reaches a socket.
 */
function runAttempt(
  dispatcher: Pick<Dispatcher, 'dispatch'>,
  options: Dispatcher.DispatchOptions,
  settings: AttemptSettings,
  scope: CancelScope,
  urlEndsAt: number,
): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const handler = new AttemptHandler(settings, options.method, options.path, urlEndsAt, (outcome) => {
      scope.delete(handler);
      resolve(outcome);
    });
    if (scope.aborted) {
      handler.cancel(scope.reason());
      return;
    }
    scope.add(handler);
    handler.arm();
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      // Invalid header values and the like are thrown synchronously by dispatch().
      handler.cancel(classifyError(error));
    }
  });
}

export { runAttempt, urlTimedOut };
export type { AttemptOutcome, AttemptSettings, Timings };
