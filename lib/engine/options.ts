import { describeRange, inRange, OPTION_RANGES, type RangedOption } from '../core/option-ranges.ts';
import { InvalidOptionError } from '../core/errors.ts';
import { closestName } from '../core/closest-name.ts';
import { connectionBudgetFor, readDescriptorLimit } from '../net/descriptor-limit.ts';
import type { Resolver } from '../net/dns-cache.ts';
import type { TokenSource } from '../politeness/host-gate.ts';
import type { HostRule } from '../politeness/host-rules.ts';
import type { RobotsStore } from '../politeness/robots-cache.ts';
import { headerRefusal, isHeaderName } from './request-headers.ts';
import { AcceptedTypes } from './accepted-types.ts';
import { parseMethod } from './request-target.ts';
import { StatusSet } from './status-set.ts';
import type { Outcome } from '../core/outcome.ts';

/** What happens to a response body once it is counted against `maxBodyBytes`. */
const BodyMode = {
  /** Read and drop (the connection stays reusable). */
  DISCARD: 'discard',
  /** Read and return the sha256 of the decoded body. */
  HASH: 'hash',
  /** Return the decoded body (base64) and its sha256. */
  KEEP: 'keep',
} as const;
type BodyMode = (typeof BodyMode)[keyof typeof BodyMode];

// Longer than 300 lines because it is the one definition of every engine option: each is
// documented where it is declared, and defaulted and checked in one place below.

/** Options of a fetch engine. Every field is optional; `resolveEngineOptions` fills defaults. */
interface FetchEngineOptions {
  /**
   * Requests in flight at most, across all origins. At internet latency a request mostly waits,
   * so more in flight means fewer billed seconds per URL (bench:origins, 100 ms servers).
   * @default 256 (64 with `bodyMode: 'keep'`), or the connection budget when that is smaller
   */
  readonly concurrency?: number;
  /** Connections per origin at most (HTTP/1.1, keep-alive, pipelining off). @default 6, as browsers */
  readonly perOrigin?: number;
  /**
   * The connection budget: sockets open at once (connecting, active and idle, all origins
   * together). Idle sockets are closed least recently used first to stay under it, and a connect
   * waits when every socket is busy. At least `concurrency`, at most the descriptor limit.
   * @default the open-file limit less a reserve (896 for Lambda's 1,024)
   */
  readonly maxSockets?: number;
  /**
   * Extra trusted certificate authorities (PEM text), added to Node's default roots (which
   * include `NODE_EXTRA_CA_CERTS`). Verification is never turned off. @default none
   */
  readonly ca?: string | readonly string[];
  /** Deadline of one attempt from the moment it is written to a socket, in ms. @default 30_000 */
  readonly timeoutMs?: number;
  /**
   * Everything one URL may take, in ms, from the moment it starts to its record: its host's turn,
   * a free connection, every attempt and every retry's wait. When it passes, the URL ends at once
   * (`TIMEOUT`), or with its last failure when the wait that would pass it is a retry's.
   * @default 300_000 (5 minutes)
   */
  readonly urlTimeoutMs?: number;
  /** TCP (+TLS) connect timeout, DNS included, in ms. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Time allowed for the response headers, in ms. @default timeoutMs */
  readonly headersTimeoutMs?: number;
  /** Longest pause between two body chunks, in ms. @default timeoutMs */
  readonly bodyIdleTimeoutMs?: number;
  /** Retries after the first attempt (network errors, 408, 429, 5xx; idempotent methods). @default 2 */
  readonly retries?: number;
  /** Base of the exponential backoff, in ms. @default 200 */
  readonly retryBaseDelayMs?: number;
  /** Cap of one backoff delay, in ms. @default 10_000 */
  readonly retryMaxDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms; a longer one ends the URL with its status. @default 30_000 */
  readonly maxRetryAfterMs?: number;
  /** Redirects followed at most, each hop re-checked. @default 5 */
  readonly maxRedirects?: number;
  /** Cap on decoded body bytes per response. @default 10 MiB */
  readonly maxBodyBytes?: number;
  /** @default 'discard' */
  readonly bodyMode?: BodyMode;
  /** Ask for and decode gzip/deflate/br bodies. @default true */
  readonly decompress?: boolean;
  /** CIDRs that open otherwise blocked ranges, e.g. `127.0.0.0/8` for local tests. @default [] */
  readonly allowNetworks?: readonly string[];
  /** How long resolved addresses are reused, in ms. @default 30_000 */
  readonly dnsTtlMs?: number;
  /** DNS servers to ask instead of the system's, e.g. `['10.0.0.2', '127.0.0.1:5353']`. @default /etc/resolv.conf */
  readonly dnsServers?: readonly string[];
  /**
   * Resolves a host name to addresses. @default the OS resolver (`dns.lookup`); replace it to use
   * your own DNS, or in tests.
   */
  readonly dnsResolve?: Resolver;
  /** Idle keep-alive sockets are closed after this, in ms. @default 4_000 */
  readonly keepAliveTimeoutMs?: number;
  /** Requests per second at most to any one host (fleet-wide with `hostTokens`). @default no limit */
  readonly perHostRate?: number;
  /** Requests in flight at most to any one host, in this engine. @default no limit beyond `perOrigin` connections */
  readonly perHostConcurrency?: number;
  /** Limits for hosts matching a pattern (`example.com`, `*.example.com`); the first match wins over the per-host defaults. @default [] */
  readonly hostRules?: readonly HostRule[];
  /**
   * Slow a host that answers 429 or 503 or sends Retry-After: pause it, halve its concurrency and
   * rate, and grow them back as it answers. @default true
   */
  readonly adaptiveBackoff?: boolean;
  /**
   * Fetch each origin's /robots.txt first (RFC 9309) and end URLs it disallows as
   * ROBOTS_DISALLOWED; its Crawl-delay becomes the host's rate. @default false
   */
  readonly robotsTxt?: boolean;
  /** Shares hosts' rate limits with other environments (a DynamoDB table); per engine when absent. */
  readonly hostTokens?: TokenSource;
  /** Shares fetched robots.txt with other environments (a DynamoDB table); per engine when absent. */
  readonly robotsStore?: RobotsStore;
  /** Headers sent with every request unless the request sets its own (names are case-insensitive). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** `User-Agent` sent unless a request sets its own. @default 'batchfetch/0.1' */
  readonly userAgent?: string;
  /**
   * Regular expressions (JavaScript syntax) whose matches are removed from a hashed body before
   * `normalizedSha256`: volatile parts (a timestamp, a CSRF token) that would make an unchanged
   * page `changed` in a comparison. Opt-in; each hashed body is then held whole (up to
   * `maxBodyBytes`) to apply them. @default []
   */
  readonly ignoreInBody?: readonly string[];
  /** Final statuses that count as success (`ok: true`): codes and ranges, e.g. `200-399,404`. @default '200-299' */
  readonly okStatus?: string;
  /** The method of requests that name none, e.g. `HEAD` for a link check. @default 'GET' */
  readonly method?: string;
  /** A HEAD answered 405 or 501 is asked again with GET (servers that refuse HEAD). @default false */
  readonly headFallback?: boolean;
  /** Records carry `redirectChain`: every redirect followed, its URL and status. @default false */
  readonly redirectChain?: boolean;
  /** Response headers kept in records' `headers`, by name (case-insensitive). @default [] */
  readonly keepHeaders?: readonly string[];
  /** Records of HTTPS URLs carry `tls`: certificate expiry, issuer, subject, protocol, resumption. @default false */
  readonly tlsInfo?: boolean;
  /** Records carry `timings`: DNS, connect, TLS, first byte and total of the final exchange. @default false */
  readonly timings?: boolean;
  /**
   * Bodies longer than this many decoded bytes are cut there and the record says `truncated: true`,
   * instead of failing `BODY_TOO_LARGE` at `maxBodyBytes` (which it replaces). @default none
   */
  readonly truncateAt?: number;
  /**
   * Media types a successful response may have (`text/html`, `image/*`); any other ends
   * `UNACCEPTED_TYPE` without its body being read. @default any
   */
  readonly acceptTypes?: readonly string[];
  /** Aborts the whole run: no new attempts start, attempts in flight end with `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Injected for deterministic tests of backoff. @default Math.random */
  readonly random?: () => number;
  /** Injected for deterministic tests of backoff. @default a timer-based sleep */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type ResolvedEngineOptions = Required<Omit<FetchEngineOptions, 'signal' | 'dnsResolve' | 'ca' | 'dnsServers' | 'perHostRate' | 'perHostConcurrency' | 'hostTokens' | 'robotsStore' | 'ignoreInBody'
  | 'okStatus' | 'truncateAt' | 'acceptTypes'>> & {
  readonly okStatus: StatusSet;
  readonly truncateAt: number | undefined;
  readonly acceptTypes: AcceptedTypes | undefined;
  /** `ignoreInBody`, compiled (global). */
  readonly ignoreInBody: readonly RegExp[];
  readonly robotsStore: RobotsStore | undefined;
  readonly perHostRate: number | undefined;
  readonly perHostConcurrency: number | undefined;
  readonly hostTokens: TokenSource | undefined;
  readonly signal: AbortSignal | undefined;
  readonly dnsResolve: Resolver | undefined;
  readonly dnsServers: readonly string[] | undefined;
  readonly ca: readonly string[];
  /** The open-file limit the default budget was derived from. */
  readonly descriptorLimit: number;
};

/**
 * Every option's name, for refusing unknown ones (a misspelt `concurency` would otherwise be
 * ignored and the default used). A `Record` over `keyof FetchEngineOptions` makes the compiler
 * keep it complete: a new option missing here, or a name here that is no option, fails typecheck.
 */
const OPTION_NAMES: Readonly<Record<keyof FetchEngineOptions, true>> = {
  concurrency: true, perOrigin: true, maxSockets: true, ca: true, timeoutMs: true, urlTimeoutMs: true, connectTimeoutMs: true,
  headersTimeoutMs: true, bodyIdleTimeoutMs: true, retries: true, retryBaseDelayMs: true, retryMaxDelayMs: true,
  maxRetryAfterMs: true, maxRedirects: true, maxBodyBytes: true, bodyMode: true, decompress: true, allowNetworks: true,
  dnsTtlMs: true, dnsServers: true, dnsResolve: true, keepAliveTimeoutMs: true, perHostRate: true, perHostConcurrency: true,
  hostRules: true, adaptiveBackoff: true, robotsTxt: true, hostTokens: true, robotsStore: true, headers: true, userAgent: true,
  ignoreInBody: true, okStatus: true, method: true, headFallback: true, redirectChain: true, keepHeaders: true, tlsInfo: true,
  timings: true, truncateAt: true, acceptTypes: true, signal: true, random: true, sleep: true,
};

/** Refuses an option the engine does not know, naming it and the closest known one. */
function refuseUnknownOptions(options: object): void {
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(OPTION_NAMES, name)) continue;
    const closest = closestName(name, Object.keys(OPTION_NAMES));
    throw new InvalidOptionError(name, 'a known engine option', name,
      `Unknown engine option \`${name}\`${closest === undefined ? '' : ` (did you mean \`${closest}\`?)`}; the options are listed in docs/engine.md`);
  }
}

/** Every body mode, in the order help texts list them. */
const BODY_MODES: readonly BodyMode[] = Object.values(BodyMode);

/**
 * Defaults set from `npm run bench:origins` (docs/benchmarks.md, the latency rows). 256 in
 * flight: at 100 ms per response over 1,000 origins, about three times the URLs per billed second
 * of 64 while one core still keeps up; 512 gains little more at a busier core. 6 per origin, the
 * browsers' limit for HTTP/1.1: on lists where a site's URLs sit together, 16 opened a connection
 * for nearly every URL where 6 reused them, and one host is not hit by 16 connections from every
 * environment.
 */
const DEFAULT_CONCURRENCY = 256;
/**
 * With `bodyMode: 'keep'` each request in flight may hold up to `maxBodyBytes` (10 MiB) plus its
 * base64 copy: 64 in flight stays within a 1,769 MB function, 256 would not.
 */
const DEFAULT_CONCURRENCY_KEEPING_BODIES = 64;
const DEFAULT_PER_ORIGIN = 6;

function integerIn(option: RangedOption, value: number, max: number = OPTION_RANGES[option].max, why = ''): void {
  const range = { min: OPTION_RANGES[option].min, max };
  if (!inRange(value, range)) throw new InvalidOptionError(option, `${describeRange(range)}${why}`, value);
}

/** Says where the upper bound of `concurrency` comes from, naming both values. */
function budgetNote(options: FetchEngineOptions, resolved: ResolvedEngineOptions): string {
  return options.maxSockets === undefined
    ? ` (every request in flight holds a socket, and the connection budget \`maxSockets\` is ${resolved.maxSockets}: the open-file limit ${resolved.descriptorLimit} less a reserve)`
    : ` (every request in flight holds a socket, and the connection budget \`maxSockets\` is ${resolved.maxSockets})`;
}

/** Fills defaults and validates every option at once, before anything is started. */
function resolveEngineOptions(options: FetchEngineOptions = {}, sleep: ResolvedEngineOptions['sleep']): ResolvedEngineOptions {
  refuseUnknownOptions(options);
  const timeoutMs = options.timeoutMs ?? 30_000; // 30 s
  const descriptorLimit = readDescriptorLimit();
  const maxSockets = options.maxSockets ?? connectionBudgetFor(descriptorLimit);
  const resolved: ResolvedEngineOptions = {
    concurrency: options.concurrency ?? Math.min(options.bodyMode === BodyMode.KEEP ? DEFAULT_CONCURRENCY_KEEPING_BODIES : DEFAULT_CONCURRENCY, maxSockets),
    perOrigin: options.perOrigin ?? DEFAULT_PER_ORIGIN,
    maxSockets,
    descriptorLimit,
    ca: options.ca === undefined ? [] : typeof options.ca === 'string' ? [options.ca] : options.ca,
    timeoutMs,
    urlTimeoutMs: options.urlTimeoutMs ?? 300_000, // 5 min
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000, // 10 s
    headersTimeoutMs: options.headersTimeoutMs ?? timeoutMs,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? timeoutMs,
    retries: options.retries ?? 2,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 10_000, // 10 s
    maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000, // 30 s
    maxRedirects: options.maxRedirects ?? 5,
    maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024, // 10 MiB
    bodyMode: options.bodyMode ?? BodyMode.DISCARD,
    decompress: options.decompress ?? true,
    allowNetworks: options.allowNetworks ?? [],
    dnsTtlMs: options.dnsTtlMs ?? 30_000, // 30 s
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 4_000, // 4 s
    userAgent: options.userAgent ?? 'batchfetch/0.1',
    headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    perHostRate: options.perHostRate,
    perHostConcurrency: options.perHostConcurrency,
    hostRules: options.hostRules ?? [],
    adaptiveBackoff: options.adaptiveBackoff ?? true,
    robotsTxt: options.robotsTxt ?? false,
    ignoreInBody: (options.ignoreInBody ?? []).map(compileIgnorePattern),
    okStatus: parsed('okStatus', options.okStatus === undefined ? undefined : StatusSet.parse(options.okStatus), options.okStatus) ?? StatusSet.SUCCESSFUL,
    method: resolveMethod(options.method),
    headFallback: options.headFallback ?? false,
    redirectChain: options.redirectChain ?? false,
    keepHeaders: (options.keepHeaders ?? []).map(headerName),
    tlsInfo: options.tlsInfo ?? false,
    timings: options.timings ?? false,
    truncateAt: options.truncateAt,
    acceptTypes: parsed('acceptTypes', options.acceptTypes === undefined ? undefined : AcceptedTypes.parse(options.acceptTypes), options.acceptTypes),
    hostTokens: options.hostTokens,
    robotsStore: options.robotsStore,
    signal: options.signal,
    dnsResolve: options.dnsResolve,
    dnsServers: options.dnsServers,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? sleep,
  };
  integerIn('maxSockets', resolved.maxSockets, Math.min(descriptorLimit, OPTION_RANGES.maxSockets.max));
  // Every request in flight holds a socket, so the budget bounds concurrency; a default budget
  // is the descriptor limit less a reserve (Lambda: 1,024 descriptors, so at most 896).
  integerIn('concurrency', resolved.concurrency, Math.min(OPTION_RANGES.concurrency.max, resolved.maxSockets), budgetNote(options, resolved));
  for (const option of ['perOrigin', 'timeoutMs', 'urlTimeoutMs', 'connectTimeoutMs', 'headersTimeoutMs', 'bodyIdleTimeoutMs', 'retries', 'retryBaseDelayMs',
    'retryMaxDelayMs', 'maxRetryAfterMs', 'maxRedirects', 'maxBodyBytes', 'dnsTtlMs', 'keepAliveTimeoutMs'] as const) {
    integerIn(option, resolved[option]);
  }
  if (resolved.truncateAt !== undefined) integerIn('truncateAt', resolved.truncateAt);
  if (!BODY_MODES.includes(resolved.bodyMode)) {
    throw new InvalidOptionError('bodyMode', `one of ${BODY_MODES.join(', ')}`, resolved.bodyMode);
  }
  if (!resolved.ca.every((pem) => typeof pem === 'string' && pem.includes('-----BEGIN CERTIFICATE-----'))) {
    // Not the text itself: a file given by mistake may be a private key, and errors end up in logs.
    throw new InvalidOptionError('ca', 'PEM text with at least one certificate', notShown(resolved.ca));
  }
  for (const [name, value] of Object.entries(resolved.headers)) {
    const refused = headerRefusal(name, value);
    // The header's name only: its value may be a credential, and errors end up in logs.
    if (refused !== undefined) throw new InvalidOptionError('headers', `headers a request may send (${refused})`, name);
  }
  if (headerRefusal('user-agent', resolved.userAgent) !== undefined) {
    throw new InvalidOptionError('userAgent', 'a header value without line breaks', notShown(resolved.userAgent));
  }
  if (!Array.isArray(resolved.allowNetworks)) {
    throw new InvalidOptionError('allowNetworks', 'an array of CIDR strings', resolved.allowNetworks);
  }
  return resolved;
}

/** What a refused value was, without its text (a certificate file may hold a key, a header a token). */
function notShown(value: unknown): string {
  if (typeof value === 'string') return `a text of ${value.length} characters, not shown`;
  if (Array.isArray(value)) return `${value.length} values, not shown`;
  return typeof value;
}

/** The value of a parsed option, undefined when it was not given; a failure is an option error naming it. */
function parsed<T>(option: string, outcome: Outcome<T, string> | undefined, received: unknown): T | undefined {
  if (outcome === undefined) return undefined;
  if (!outcome.ok) throw new InvalidOptionError(option, outcome.error, received);
  return outcome.value;
}

function resolveMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  const parsedMethod = parseMethod(method);
  if (!parsedMethod.ok) throw new InvalidOptionError('method', 'an HTTP method such as GET or HEAD (not CONNECT)', method);
  return parsedMethod.value;
}

/** A `keepHeaders` name, lowercase (how undici hands headers over); must be an HTTP token. */
function headerName(name: string): string {
  if (!isHeaderName(name)) {
    throw new InvalidOptionError('keepHeaders', 'header names (HTTP tokens such as cache-control)', name);
  }
  return name.toLowerCase();
}

/** An `ignoreInBody` pattern as a global RegExp; an invalid one is an option error naming it. */
function compileIgnorePattern(source: string): RegExp {
  try {
    if (typeof source !== 'string' || source === '') throw new Error('empty');
    return new RegExp(source, 'g');
  } catch {
    throw new InvalidOptionError('ignoreInBody', 'non-empty regular expressions (JavaScript syntax)', source);
  }
}

export { BODY_MODES, BodyMode, OPTION_NAMES, resolveEngineOptions };
export type { FetchEngineOptions, ResolvedEngineOptions };
