import { FetchError, ErrorCode } from '../core/errors.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';

/** Where a request goes, in the exact form the WHATWG URL parser would give. */
interface Target {
  /** Serialised URL (`URL#href`). */
  readonly href: string;
  /** `URL#origin`, the connection pool key. */
  readonly origin: string;
  /** `URL#pathname + URL#search`, the request target sent on the wire. */
  readonly path: string;
}

const HTTP_METHOD = /^[A-Z]{1,16}$/;

/*
 * URLs already in canonical WHATWG form are recognised without running the full parser (which
 * cost ~1.5 µs per URL in the bench profile): lowercase http(s), a lowercase DNS name (no IDNA
 * `xn--` label, not ending in a numeric label) or a canonical dotted-quad IPv4 address, an
 * optional port without leading zeros, and a path and query made only of characters the parser
 * leaves as they are, with no dot segments. Anything else takes the full parser. The property
 * test in test/engine/request-target.test.ts checks the two agree.
 */
const PATH_CHARS = charTable("A-Za-z0-9-._~!$&()*+,;=:@/%'");
const QUERY_CHARS = charTable('A-Za-z0-9-._~!$&()*+,;=:@/?%');
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DECIMAL_OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** Verdicts of `isCanonicalHost` by host: batches repeat hosts, and the check showed in profiles. */
const hostVerdicts = new Map<string, boolean>();
const MAX_HOST_VERDICTS = 4096;

function canonicalHost(host: string): boolean {
  let verdict = hostVerdicts.get(host);
  if (verdict === undefined) {
    verdict = isCanonicalHost(host);
    if (hostVerdicts.size >= MAX_HOST_VERDICTS) hostVerdicts.clear();
    hostVerdicts.set(host, verdict);
  }
  return verdict;
}

function isCanonicalHost(host: string): boolean {
  const labels = host.split('.');
  const last = labels[labels.length - 1]!;
  if (/^\d+$/.test(last) || /^0x/.test(last)) {
    // Ends in a number: WHATWG parses it as IPv4; only the canonical dotted quad is unchanged.
    return labels.length === 4 && labels.every((label) => DECIMAL_OCTET.test(label) && Number(label) <= 255);
  }
  return host.length <= 253 && labels.every((label) => DNS_LABEL.test(label) && !label.startsWith('xn--'));
}

/** A 128-entry lookup table of the ASCII characters in `spec` (`a-z` ranges allowed). */
function charTable(spec: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < spec.length; i++) {
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      for (let c = spec.charCodeAt(i); c <= spec.charCodeAt(i + 2); c++) table[c] = 1;
      i += 2;
    } else {
      table[spec.charCodeAt(i)] = 1;
    }
  }
  return table;
}

function allIn(text: string, from: number, to: number, table: Uint8Array): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || table[c] === 0) return false;
  }
  return true;
}

/**
 * The origin of the last URL that took the fast path whose scheme and authority were written
 * exactly as that origin. Batches repeat origins: a URL starting with it, followed by `/`, `?` or
 * nothing, has that very scheme, host and port, and skips the authority checks.
 */
let lastOrigin = '';

/** Where the authority of `text` ends, and its origin, or undefined when not canonical. */
function fastOrigin(text: string): { authorityEnd: number; origin: string } | undefined {
  const end = lastOrigin.length;
  if (end > 0 && text.startsWith(lastOrigin)) {
    const next = text.charCodeAt(end);
    if (Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */) return { authorityEnd: end, origin: lastOrigin };
  }
  const https = text.startsWith('https://');
  if (!https && !text.startsWith('http://')) return undefined;
  const hostStart = https ? 8 : 7;
  let authorityEnd = text.length;
  for (let i = hostStart; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) {
      authorityEnd = i;
      break;
    }
  }
  const authority = text.slice(hostStart, authorityEnd);
  const colon = authority.indexOf(':');
  const host = colon === -1 ? authority : authority.slice(0, colon);
  if (host === '' || !canonicalHost(host)) return undefined;
  let port = '';
  if (colon !== -1) {
    port = authority.slice(colon + 1);
    if (!/^[1-9]\d{0,4}$/.test(port) || Number(port) > 65535) return undefined;
    if (port === (https ? '443' : '80')) port = '';
  }
  const origin = `${https ? 'https' : 'http'}://${host}${port === '' ? '' : `:${port}`}`;
  if (origin.length === authorityEnd) lastOrigin = origin;
  return { authorityEnd, origin };
}

function fastTarget(text: string): Target | undefined {
  const found = fastOrigin(text);
  if (!found) return undefined;
  const { authorityEnd, origin } = found;
  const queryStart = text.indexOf('?', authorityEnd);
  const pathEnd = queryStart === -1 ? text.length : queryStart;
  if (!allIn(text, authorityEnd, pathEnd, PATH_CHARS)) return undefined;
  // An empty query ("?") and dot segments (also as %2e) are normalised by the parser: not here.
  if (queryStart !== -1 && (queryStart === text.length - 1 || !allIn(text, queryStart + 1, text.length, QUERY_CHARS))) return undefined;
  const path = authorityEnd === text.length || text.charCodeAt(authorityEnd) === 63 ? `/${text.slice(authorityEnd)}` : text.slice(authorityEnd);
  if (path.includes('/.') || path.includes('%2e') || path.includes('%2E')) return undefined;
  return { href: origin + path, origin, path };
}

function fromUrl(url: URL): Target {
  return { href: url.href, origin: url.origin, path: url.pathname + url.search };
}

/** Parses an absolute http(s) URL, or explains why it cannot be fetched. */
function parseTarget(input: unknown): Outcome<Target, FetchError> {
  const text = typeof input === 'string' ? input.trim() : '';
  if (text === '') return failure(new FetchError(ErrorCode.INVALID_URL, 'URL is missing or empty'));
  const fast = fastTarget(text);
  if (fast) return success(fast);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return failure(new FetchError(ErrorCode.INVALID_URL, 'URL could not be parsed'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return failure(new FetchError(ErrorCode.INVALID_URL, `unsupported scheme ${url.protocol.slice(0, 20)} (only http and https)`));
  }
  if (url.hostname === '') return failure(new FetchError(ErrorCode.INVALID_URL, 'URL has no host'));
  return success(fromUrl(url));
}

const GET = success('GET');

function parseMethod(method: unknown): Outcome<string, FetchError> {
  if (method === undefined) return GET;
  if (typeof method === 'string' && HTTP_METHOD.test(method.toUpperCase()) && method.toUpperCase() !== 'CONNECT') {
    return success(method.toUpperCase());
  }
  return failure(new FetchError(ErrorCode.INVALID_REQUEST, 'method must be an HTTP token such as GET (CONNECT is not supported)'));
}

/** The `Location` of a redirect, resolved against the URL that answered it. */
function resolveRedirect(location: string, base: Target): Outcome<Target, FetchError> {
  let next: URL;
  try {
    next = new URL(location, base.href);
  } catch {
    return failure(new FetchError(ErrorCode.INVALID_URL, 'redirect Location could not be parsed'));
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    return failure(new FetchError(ErrorCode.INVALID_URL, `redirect to unsupported scheme ${next.protocol.slice(0, 20)}`));
  }
  return success(fromUrl(next));
}

/**
 * The origin of a URL as its connection pool is keyed (`URL#origin`), or '' when it cannot be
 * fetched: what the scheduler and the list grouping group URLs by.
 */
function originOf(url: unknown): string {
  const target = parseTarget(url);
  return target.ok ? target.value.origin : '';
}

export { originOf, parseMethod, parseTarget, resolveRedirect };
export type { Target };
