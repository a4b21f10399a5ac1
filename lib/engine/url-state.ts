import { ErrorCode, FetchError } from '../core/errors.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';
import type { FetchRequest, RedirectHop } from './fetch-types.ts';
import { StatusSet } from './status-set.ts';
import type { ResolvedEngineOptions } from './options.ts';
import { headerRefusal } from './request-headers.ts';
import { parseMethod, parseTarget, resolveRedirect, type Target } from './request-target.ts';

/** Credentials never follow a redirect to another origin. */
const CROSS_ORIGIN_STRIPPED = ['authorization', 'cookie', 'proxy-authorization'];

/** Mutable state of one URL across its attempts and redirect hops. */
interface UrlState {
  url: Target;
  method: string;
  /** Shared and frozen until a redirect needs to change it (copy on write). */
  headers: Readonly<Record<string, string>>;
  body: string | undefined;
  /** Requests that could have ended the URL (priorAttempts included): not redirect hops followed, not the free stale retry. */
  attempts: number;
  retriesUsed: number;
  redirects: number;
  staleRetryUsed: boolean;
  /** The request carries the earlier run's validators (on its first URL only: never through a redirect). */
  conditional: boolean;
  /** Which final statuses are OK for this URL (its own `okStatus`, else the engine's). */
  readonly okStatus: StatusSet;
  /** A HEAD answered 405/501 is asked again with GET; cleared once it has been. */
  headFallback: boolean;
  /** The HEAD was asked again with GET. */
  fellBack: boolean;
  /** Redirects so far, when records carry `redirectChain`. */
  readonly chain: RedirectHop[] | undefined;
}

/** Conditional headers of RFC 9110 §13.1.2 and §13.1.3: GET and HEAD only. */
const CONDITIONAL_METHODS = new Set(['GET', 'HEAD']);

const defaultHeadersCache = new WeakMap<ResolvedEngineOptions, Readonly<Record<string, string>>>();

/** The headers every request sends unless it overrides them; one frozen object per engine. */
function defaultHeaders(options: ResolvedEngineOptions): Readonly<Record<string, string>> {
  let headers = defaultHeadersCache.get(options);
  if (!headers) {
    headers = Object.freeze({
      'user-agent': options.userAgent,
      ...(options.decompress ? { 'accept-encoding': 'gzip, deflate, br' } : {}),
      ...options.headers,
    });
    defaultHeadersCache.set(options, headers);
  }
  return headers;
}

function buildHeaders(request: FetchRequest, options: ResolvedEngineOptions): Outcome<Readonly<Record<string, string>>, FetchError> {
  const defaults = defaultHeaders(options);
  if (request.headers === undefined) return success(defaults);
  if (typeof request.headers !== 'object' || request.headers === null || Array.isArray(request.headers)) {
    return failure(new FetchError(ErrorCode.INVALID_REQUEST, 'headers must be an object of strings'));
  }
  const headers: Record<string, string> = { ...defaults };
  for (const [name, value] of Object.entries(request.headers)) {
    const refused = headerRefusal(name, value);
    if (refused !== undefined) return failure(new FetchError(ErrorCode.INVALID_REQUEST, refused));
    headers[name.toLowerCase()] = value;
  }
  return success(headers);
}

function startState(request: FetchRequest, options: ResolvedEngineOptions): Outcome<UrlState, FetchError> {
  const url = parseTarget(request.url);
  if (!url.ok) return url;
  const method = request.method === undefined ? success(options.method) : parseMethod(request.method);
  if (!method.ok) return method;
  let okStatus = options.okStatus;
  if (request.okStatus !== undefined) {
    const parsed = StatusSet.parse(request.okStatus);
    if (!parsed.ok) return failure(new FetchError(ErrorCode.INVALID_REQUEST, `okStatus must be ${parsed.error}`));
    okStatus = parsed.value;
  }
  const headers = buildHeaders(request, options);
  if (!headers.ok) return headers;
  if (request.body !== undefined && typeof request.body !== 'string') {
    return failure(new FetchError(ErrorCode.INVALID_REQUEST, 'body must be a string'));
  }
  const conditional = withValidators(headers.value, method.value, request.previous);
  return success({
    url: url.value, method: method.value, headers: conditional ?? headers.value, body: request.body,
    attempts: request.priorAttempts ?? 0, retriesUsed: 0, redirects: 0, staleRetryUsed: false, conditional: conditional !== undefined,
    okStatus, headFallback: method.value === 'HEAD' && (request.headFallback ?? options.headFallback), fellBack: false,
    chain: options.redirectChain ? [] : undefined,
  });
}

/**
 * The headers with the earlier run's validators (RFC 9110 §13): `If-None-Match` with its ETag,
 * `If-Modified-Since` with its Last-Modified (a server ignores the latter when the former is
 * there). Only when the earlier record was OK (a `304` then means "what you had"), the method is
 * GET or HEAD, a validator exists (an empty `If-None-Match` is a known client bug, curl/curl#5179),
 * and the caller set no conditional header of its own. Undefined when nothing is added.
 */
function withValidators(
  headers: Readonly<Record<string, string>>,
  method: string,
  previous: FetchRequest['previous'],
): Readonly<Record<string, string>> | undefined {
  if (!previous?.ok || !CONDITIONAL_METHODS.has(method)) return undefined;
  if (headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) return undefined;
  const etag = previous.etag !== undefined && previous.etag !== '' ? previous.etag : undefined;
  const lastModified = previous.lastModified !== undefined && previous.lastModified !== '' ? previous.lastModified : undefined;
  if (etag === undefined && lastModified === undefined) return undefined;
  return {
    ...headers,
    ...(etag === undefined ? {} : { 'if-none-match': etag }),
    ...(lastModified === undefined ? {} : { 'if-modified-since': lastModified }),
  };
}

/** Moves the state to the redirect target; returns an error when the hop is not allowed. */
function followRedirect(state: UrlState, status: number, location: string, maxRedirects: number): FetchError | undefined {
  state.chain?.push({ url: state.url.href, status });
  if (state.redirects >= maxRedirects) {
    return new FetchError(ErrorCode.TOO_MANY_REDIRECTS, `more than ${maxRedirects} redirects`);
  }
  const resolved = resolveRedirect(location, state.url);
  if (!resolved.ok) return resolved.error;
  const next = resolved.value;
  // 303 always, and 301/302 after a POST, continue as GET without a body (what browsers do).
  const headers = { ...state.headers };
  if (status === 303 ? state.method !== 'HEAD' : (status === 301 || status === 302) && state.method === 'POST') {
    state.method = 'GET';
    state.body = undefined;
    delete headers['content-type'];
    delete headers['content-length'];
  }
  if (next.origin !== state.url.origin) {
    for (const name of CROSS_ORIGIN_STRIPPED) delete headers[name];
  }
  // The validators belong to the URL the earlier run fetched, not to where it now redirects.
  if (state.conditional) {
    delete headers['if-none-match'];
    delete headers['if-modified-since'];
    state.conditional = false;
  }
  state.headers = headers;
  state.url = next;
  state.redirects += 1;
  return undefined;
}

/**
 * A HEAD the server refuses (405 Method Not Allowed, 501 Not Implemented: RFC 9110 §15.5.6,
 * §15.6.2) is asked again with GET, once; true when the state now says GET.
 */
function fallBackToGet(state: UrlState, status: number): boolean {
  if (!state.headFallback || state.method !== 'HEAD' || (status !== 405 && status !== 501)) return false;
  state.method = 'GET';
  state.headFallback = false;
  state.fellBack = true;
  return true;
}

export { fallBackToGet, followRedirect, startState };
export type { UrlState };
