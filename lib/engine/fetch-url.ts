import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { ErrorCode } from '../core/errors.ts';
import type { DestinationGuard } from '../net/destination-guard.ts';
import type { FreshDispatchOptions } from '../net/origin-pools.ts';
import type { ResolvedEngineOptions } from './options.ts';
import { runAttempt, urlTimedOut, type AttemptOutcome, type AttemptSettings } from './attempt.ts';
import type { AttemptFeedback, HostGate } from '../politeness/host-gate.ts';
import type { Semaphore } from '../core/semaphore.ts';
import type { RobotsCache } from '../politeness/robots-cache.ts';
import type { CancelScope } from './cancel-scope.ts';
import type { FetchRequest, FetchResult, PreviousRecord } from './fetch-types.ts';
import { withChange } from './change.ts';
import { BodyMode } from './options.ts';
import { attemptSettingsOf, REDIRECT_STATUSES, settingsFor } from './attempt-settings.ts';
import { StatusSet } from './status-set.ts';
import { resultRecord, type RecordFields } from './result-record.ts';
import type { Target } from './request-target.ts';
import { backoffDelay, isIdempotent, isRetryableError, isRetryableStatus, parseRetryAfter } from './retry-policy.ts';
import { fallBackToGet, followRedirect, startState, type UrlState } from './url-state.ts';

interface FetchContext {
  readonly dispatcher: Pick<Dispatcher, 'dispatch'>;
  /** Per-host politeness: waited for (holding nothing) before each request. */
  readonly hosts: Pick<HostGate, 'enter' | 'done'>;
  /** The engine's concurrency: one permit per request on the wire. */
  readonly permits: Semaphore;
  /** Told +1/-1 around a backoff sleep: a URL asleep holds no permit and no worker. */
  readonly onWait: (delta: number) => void;
  /** robots.txt, when the engine obeys it. */
  readonly robots?: Pick<RobotsCache, 'allows'>;
  /** Refuses blocked destinations known without I/O before undici sees them. */
  readonly guard: Pick<DestinationGuard, 'refusal'>;
  readonly options: ResolvedEngineOptions;
  readonly attemptSettings: AttemptSettings;
  readonly scope: CancelScope;
}

function headerValue(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Fetches one URL to its final result: attempts, retries with backoff and jitter, `Retry-After`,
 * the one immediate retry of a stale pooled socket, and redirects. Never throws.
 */
async function fetchUrl(request: FetchRequest, context: FetchContext): Promise<FetchResult> {
  const { options, scope } = context;
  const started = performance.now();
  // Everything the URL waits for counts against this: its host, a connection, attempts, retries.
  const urlEndsAt = started + options.urlTimeoutMs;
  const result = (fields: ResultFields, state?: UrlState): FetchResult =>
    withChange(request.previous, buildResult(request, state, performance.now() - started, fields));

  const start = startState(request, options);
  if (!start.ok) return result({ error: start.error.toResultError() });
  const state = start.value;
  const limits = request.limits;
  const maxAttempts = Math.min(options.retries, limits?.retries ?? Number.POSITIVE_INFINITY) + 1;
  const attemptSettings = settingsFor(request, state, context.attemptSettings);
  const budgetLeft = () => state.attempts < maxAttempts;
  const idempotent = isIdempotent(state.method);
  let freshConnection = false;

  for (;;) {
    if (scope.aborted) return result({ error: scope.reason().toResultError() }, state);
    if (performance.now() >= urlEndsAt) {
      return result({ error: urlTimedOut(options.urlTimeoutMs, 'before its next request').toResultError() }, state);
    }
    const refused = context.guard.refusal(state.url.origin);
    if (refused) {
      // Counted as an attempt, as when the connector refuses the address a name resolved to.
      state.attempts += 1;
      return result({ error: refused }, state);
    }
    if (context.robots && !(await robotsAllow(context, state.url))) {
      return result({ error: { code: ErrorCode.ROBOTS_DISALLOWED, message: `robots.txt of ${state.url.origin} disallows this path` } }, state);
    }
    const outcome: AttemptOutcome = await politeAttempt(context, {
      origin: state.url.origin,
      path: state.url.path,
      method: state.method,
      headers: state.headers,
      body: state.body ?? null,
      freshConnection,
    } as FreshDispatchOptions, attemptSettings, urlEndsAt);
    freshConnection = false;

    let retryAfterMs: number | undefined;
    /** The URL's record if it retries no more. */
    let final: () => FetchResult;
    if (outcome.error) {
      const error = outcome.error;
      if (idempotent && error.code === ErrorCode.CONNECTION_RESET && !outcome.responseStarted && !state.staleRetryUsed) {
        // A pooled keep-alive socket may have died while idle (a frozen Lambda, a server's idle
        // timeout): retry once at once over a new connection (the pool's other idle sockets may
        // be dead too), and not as an attempt (nodejs/undici#3133).
        state.staleRetryUsed = true;
        freshConnection = true;
        continue;
      }
      // An exchange the deadline cut off could not have ended the URL: the continuation that
      // carries it on has its whole budget left.
      if (!(error.code === ErrorCode.ABORTED && scope.aborted)) state.attempts += 1;
      // A failure after the response arrived (a body over --max-bytes) keeps its status and type.
      const answered = outcome.status === undefined ? {} : { status: outcome.status, contentType: headerValue(outcome.headers, 'content-type') };
      if (!(idempotent && isRetryableError(error) && budgetLeft())) {
        return result({ error: error.toResultError(), bytes: outcome.bytes, ...answered }, state);
      }
      final = () => result({ error: error.toResultError(), bytes: outcome.bytes, ...answered }, state);
    } else {
      const status = outcome.status!;
      const location = headerValue(outcome.headers, 'location');
      // An empty Location names the same URL again (RFC 3986 §5.2): followed, it only loops.
      if (REDIRECT_STATUSES.has(status) && location !== undefined && location.trim() !== '' && options.maxRedirects > 0) {
        const refused = followRedirect(state, status, location, options.maxRedirects);
        // A hop followed is not an attempt; a redirect that ends the URL is its last one.
        if (refused) {
          state.attempts += 1;
          return result({ status, error: refused.toResultError() }, state);
        }
        continue;
      }
      state.attempts += 1;
      // Not a retry: another method. The HEAD's answer said nothing about the URL.
      if (fallBackToGet(state, status)) continue;
      // A status the run counts as OK is an answer, not a failure to retry.
      const retryable = idempotent && isRetryableStatus(status) && !state.okStatus.has(status) && budgetLeft();
      retryAfterMs = retryable ? parseRetryAfter(outcome.headers!['retry-after'], Date.now()) : undefined;
      if (!retryable || (retryAfterMs !== undefined && retryAfterMs > options.maxRetryAfterMs)) {
        return finalResponse(outcome, state, result, retryAfterMs, request.previous, options.keepHeaders);
      }
      final = () => finalResponse(outcome, state, result, undefined, request.previous, options.keepHeaders);
    }

    const delay = Math.max(
      backoffDelay(state.retriesUsed, options.retryBaseDelayMs, options.retryMaxDelayMs, options.random),
      retryAfterMs ?? 0,
    );
    // A retry that could not start before the URL's time runs out is not waited for: the URL
    // ends with what it has, which says more than a timeout would.
    if (performance.now() + delay >= urlEndsAt) return final();
    state.retriesUsed += 1;
    if (delay > 0) {
      context.onWait(1);
      try {
        await options.sleep(delay, scope.signal);
      } finally {
        context.onWait(-1);
      }
    }
  }
}

/**
 * One exchange, politely: first the host's turn (its limits, pauses and tokens; waiting for it
 * holds no engine permit, so other hosts go on), then an engine permit, held only while the
 * request is on the wire. The host hears how it went, for adaptive backoff.
 */
async function politeAttempt(context: FetchContext, request: Dispatcher.DispatchOptions, settings: AttemptSettings, urlEndsAt: number): Promise<AttemptOutcome> {
  const origin = request.origin as string;
  const entry = context.hosts.enter(origin, context.scope.signal, urlEndsAt - performance.now());
  const ticket = entry instanceof Promise ? await entry : entry;
  if (ticket === undefined) return { error: urlTimedOut(settings.urlTimeoutMs, 'waiting for its host'), bytes: 0, responseStarted: false };
  const wait = context.permits.acquire();
  if (wait) await wait;
  const sentAt = Date.now();
  let outcome: AttemptOutcome;
  try {
    outcome = await runAttempt(context.dispatcher, request, settings, context.scope, urlEndsAt);
  } finally {
    context.permits.release();
  }
  context.hosts.done(ticket, origin, pushbackOf(outcome, sentAt));
  return outcome;
}

/** Whether robots.txt allows `url`; waiting for an origin's robots.txt counts as waiting (no permit held). */
async function robotsAllow(context: FetchContext, url: Target): Promise<boolean> {
  const verdict = context.robots!.allows(url.origin, url.path);
  if (typeof verdict === 'boolean') return verdict;
  context.onWait(1);
  try {
    return await verdict;
  } finally {
    context.onWait(-1);
  }
}

const NO_PUSHBACK = { pushback: false } as const;

/** 429 and 503 are a host asking for less (RFC 6585 §4, RFC 9110 §15.6.4), as is Retry-After on any retryable status. */
function pushbackOf(outcome: AttemptOutcome, sentAt: number): AttemptFeedback {
  const status = outcome.status;
  if (status === undefined || !isRetryableStatus(status)) return NO_PUSHBACK;
  const retryAfterMs = parseRetryAfter(outcome.headers?.['retry-after'], Date.now());
  if (status !== 429 && status !== 503 && retryAfterMs === undefined) return NO_PUSHBACK;
  return retryAfterMs === undefined ? { pushback: true, sentAt } : { pushback: true, retryAfterMs, sentAt };
}

type ResultFields = RecordFields;

/** The record of a URL as its state stands: attempts, redirects and final URL from `state`. */
function buildResult(request: FetchRequest, state: UrlState | undefined, elapsedMs: number, fields: ResultFields): FetchResult {
  return resultRecord(request, {
    ...fields,
    attempts: state?.attempts,
    redirects: state?.redirects,
    latencyMs: Math.round(elapsedMs * 1000) / 1000,
    finalUrl: state && state.redirects > 0 ? state.url.href : undefined,
    redirectChain: state?.chain?.length ? state.chain : undefined,
    headFallback: state?.fellBack || undefined,
  });
}

function finalResponse(
  outcome: AttemptOutcome,
  state: UrlState,
  result: (fields: ResultFields, state?: UrlState) => FetchResult,
  retryAfterMs: number | undefined,
  previous: PreviousRecord | null | undefined,
  keepHeaders: readonly string[],
): FetchResult {
  const status = outcome.status!;
  // A 304 answers the validators this request sent: the content is the earlier run's. To a
  // request that sent none, it is no answer at all (RFC 9110 §15.4.5).
  const notModified = status === 304 && state.conditional;
  const ok = (state.okStatus.has(status) || notModified) && !outcome.unacceptedType;
  const contentType = headerValue(outcome.headers, 'content-type');
  // A 304 may carry updated validators, which replace the stored ones (RFC 9111 §4.3.4).
  const etag = headerValue(outcome.headers, 'etag') ?? (notModified ? previous?.etag : undefined);
  const lastModified = headerValue(outcome.headers, 'last-modified') ?? (notModified ? previous?.lastModified : undefined);
  const error = ok ? null : outcome.unacceptedType ? {
    code: ErrorCode.UNACCEPTED_TYPE,
    message: `content type ${contentType ?? 'none (application/octet-stream)'} is not accepted`,
  } : {
    code: ErrorCode.HTTP_STATUS,
    message: retryAfterMs === undefined
      ? `HTTP status ${status}`
      : `HTTP status ${status}; Retry-After of ${Math.ceil(retryAfterMs / 1000)} s exceeds the cap`,
  };
  return result({
    ok,
    status,
    bytes: outcome.bytes,
    contentType,
    etag,
    lastModified,
    sha256: notModified ? previous?.sha256 : outcome.sha256,
    normalizedSha256: notModified ? previous?.normalizedSha256 : outcome.normalizedSha256,
    notModified: notModified || undefined,
    body: notModified ? undefined : outcome.body?.toString('base64'),
    truncated: outcome.truncated || undefined,
    headers: keepHeaders.length > 0 ? keptHeaders(outcome.headers, keepHeaders) : undefined,
    tls: outcome.tls,
    timings: outcome.timings,
    error,
  }, state);
}

/** The named headers the response had; a repeated header's values joined by `, ` (RFC 9110 §5.3). */
function keptHeaders(headers: IncomingHttpHeaders | undefined, names: readonly string[]): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of names) {
    const value = headers?.[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/**
 * The context of the engine's own robots.txt fetches: GET, 2xx, the body kept, and none of what
 * the run asks of its records (a HEAD, other OK statuses, truncation, a type filter).
 */
function robotsContextOf(context: FetchContext): FetchContext {
  const options: ResolvedEngineOptions = {
    ...context.options, method: 'GET', okStatus: StatusSet.SUCCESSFUL, headFallback: false, redirectChain: false,
    keepHeaders: [], tlsInfo: false, timings: false, truncateAt: undefined, acceptTypes: undefined, bodyMode: BodyMode.KEEP,
  };
  const { robots: _robots, ...rest } = context;
  return { ...rest, options, attemptSettings: attemptSettingsOf(options) };
}

export { fetchUrl, robotsContextOf };
export type { FetchContext };
