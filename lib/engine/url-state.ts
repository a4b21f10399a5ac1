import { ErrorCode, FetchError } from '../core/errors.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';
import type { FetchRequest } from './fetch-types.ts';
import type { ResolvedEngineOptions } from './options.ts';
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
}

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
    if (typeof value !== 'string') {
      return failure(new FetchError(ErrorCode.INVALID_REQUEST, 'header values must be strings'));
    }
    headers[name.toLowerCase()] = value;
  }
  return success(headers);
}

function startState(request: FetchRequest, options: ResolvedEngineOptions): Outcome<UrlState, FetchError> {
  const url = parseTarget(request.url);
  if (!url.ok) return url;
  const method = parseMethod(request.method);
  if (!method.ok) return method;
  const headers = buildHeaders(request, options);
  if (!headers.ok) return headers;
  if (request.body !== undefined && typeof request.body !== 'string') {
    return failure(new FetchError(ErrorCode.INVALID_REQUEST, 'body must be a string'));
  }
  return success({
    url: url.value, method: method.value, headers: headers.value, body: request.body,
    attempts: request.priorAttempts ?? 0, retriesUsed: 0, redirects: 0, staleRetryUsed: false,
  });
}

/** Moves the state to the redirect target; returns an error when the hop is not allowed. */
function followRedirect(state: UrlState, status: number, location: string, maxRedirects: number): FetchError | undefined {
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
  state.headers = headers;
  state.url = next;
  state.redirects += 1;
  return undefined;
}

export { followRedirect, startState };
export type { UrlState };
