import { readFileSync } from 'node:fs';
import { OPTION_RANGES, PER_HOST_RATE } from '../lib/core/option-ranges.ts';
import { parseHostRule } from '../lib/politeness/host-rules.ts';
import { BODY_MODES, BodyMode, type FetchEngineOptions } from '../lib/engine/options.ts';
import type { InvalidOptionError } from '../lib/index.ts';
import { integerFlag, UsageError } from './usage-error.ts';

/** The fetch flags `run` and `worker` share (parseArgs option specs). */
const FETCH_FLAGS = {
  concurrency: { type: 'string' },
  'per-origin': { type: 'string' },
  'max-sockets': { type: 'string' },
  timeout: { type: 'string' },
  'url-timeout': { type: 'string' },
  'connect-timeout': { type: 'string' },
  retries: { type: 'string' },
  'max-bytes': { type: 'string' },
  'max-redirects': { type: 'string' },
  body: { type: 'string' },
  'allow-network': { type: 'string', multiple: true },
  'ca-file': { type: 'string' },
  'per-host-rate': { type: 'string' },
  'per-host-concurrency': { type: 'string' },
  'host-rule': { type: 'string', multiple: true },
  'no-adaptive-backoff': { type: 'boolean' },
  'robots-txt': { type: 'boolean' },
  header: { type: 'string', short: 'H', multiple: true },
  'bodies-dir': { type: 'string' },
  'user-agent': { type: 'string' },
  'ignore-in-body': { type: 'string', multiple: true },
  'ok-status': { type: 'string' },
  method: { type: 'string' },
  'head-fallback': { type: 'boolean' },
  'redirect-chain': { type: 'boolean' },
  'keep-header': { type: 'string', multiple: true },
  'tls-info': { type: 'boolean' },
  timings: { type: 'boolean' },
  'truncate-at': { type: 'string' },
  'accept-type': { type: 'string', multiple: true },
} as const;

/** The flag behind each engine option, so an option error names what the user typed. */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  concurrency: '--concurrency',
  perOrigin: '--per-origin',
  maxSockets: '--max-sockets',
  timeoutMs: '--timeout',
  urlTimeoutMs: '--url-timeout',
  connectTimeoutMs: '--connect-timeout',
  retries: '--retries',
  maxBodyBytes: '--max-bytes',
  maxRedirects: '--max-redirects',
  bodyMode: '--body',
  allowNetworks: '--allow-network',
  ca: '--ca-file',
  perHostRate: '--per-host-rate',
  perHostConcurrency: '--per-host-concurrency',
  perHost: '--per-host-rate/--per-host-concurrency',
  hostRules: '--host-rule',
  headers: '--header',
  userAgent: '--user-agent',
  ignoreInBody: '--ignore-in-body',
  okStatus: '--ok-status',
  method: '--method',
  keepHeaders: '--keep-header',
  truncateAt: '--truncate-at',
  acceptTypes: '--accept-type',
};

const FETCH_FLAGS_USAGE = `  --concurrency N        requests in flight at most (default 256, 64 with --body keep;
                         at most --max-sockets)
  --per-origin N         connections per origin at most (default 6)
  --max-sockets N        sockets open at once across all origins (default: the open-file
                         limit less a reserve, 896 under ulimit -n 1024)
  --timeout MS           deadline of one attempt (default 30000)
  --url-timeout MS       everything one URL may take: its host's turn, a connection, every
                         attempt and retry; then it ends TIMEOUT (default 300000)
  --connect-timeout MS   TCP/TLS connect timeout (default 10000)
  --retries N            retries after the first attempt (default 2)
  --max-bytes N          decoded body bytes per response at most (default 10485760)
  --max-redirects N      redirects followed at most (default 5)
  --body MODE            discard | hash | keep (default discard)
  --bodies-dir DIR       keep bodies as files DIR/<sha256> (implies --body keep); each record
                         names its file in bodyFile instead of carrying the body
  --allow-network CIDR   allow a blocked range, e.g. 127.0.0.0/8 (repeatable)
  --ca-file FILE         also trust the CA certificates (PEM) in FILE
  -H, --header 'Name: value'  send this header with every request (repeatable; a request's
                         own headers win)
  --user-agent TEXT      the User-Agent (default: FETCH_USER_AGENT, else batchfetch/0.1)
  --per-host-rate N      requests per second at most to any one host (e.g. 2, or 0.5)
  --per-host-concurrency N  requests in flight at most to any one host
  --host-rule R          limits for hosts matching a pattern: PATTERN=RATE[/CONCURRENCY],
                         e.g. example.com=1 or '*.example.org=0.5/2' (repeatable; first match wins)
  --no-adaptive-backoff  do not slow a host down when it answers 429/503 or Retry-After
  --robots-txt           obey each origin's robots.txt (RFC 9309; disallowed URLs end
                         ROBOTS_DISALLOWED, Crawl-delay becomes the host's rate)
  --ignore-in-body REGEX  remove matches (JavaScript regex) from hashed bodies before
                         normalizedSha256, which comparisons use: a timestamp or token that
                         changes on every load does not make a page 'changed' (repeatable;
                         needs hashed bodies: --body hash|keep, or run --since)
  --ok-status LIST       statuses that count as OK, e.g. 200-399,404 (default 200-299)
  --method M             method of lines that name none, e.g. HEAD (default GET)
  --head-fallback        ask again with GET when a HEAD is answered 405 or 501
  --redirect-chain       records list each redirect: redirectChain [{url, status}]
  --keep-header NAME     keep this response header in records' headers (repeatable)
  --tls-info             HTTPS records carry tls: validTo, daysLeft, issuer, subject,
                         protocol, resumed
  --timings              records carry timings: dns, connect, tls, firstByte, total (ms)
  --truncate-at N        cut bodies at N decoded bytes (truncated: true) instead of failing
                         BODY_TOO_LARGE at --max-bytes
  --accept-type TYPE     media types wanted, e.g. text/html or 'image/*' (repeatable); other
                         OK responses end UNACCEPTED_TYPE unread`;

type FetchFlagValues = {
  [K in keyof typeof FETCH_FLAGS]?: (typeof FETCH_FLAGS)[K] extends { multiple: true } ? string[] : (typeof FETCH_FLAGS)[K] extends { type: 'boolean' } ? boolean : string
};

/** Engine options from the shared fetch flags, each validated with a message naming the flag. */
function engineOptionsFrom(values: FetchFlagValues): FetchEngineOptions {
  if (values['bodies-dir'] !== undefined && values.body !== undefined && values.body !== BodyMode.KEEP) {
    throw new UsageError(`--bodies-dir stores kept bodies: it needs --body keep (or no --body), got --body ${values.body}`);
  }
  const body = values.body ?? (values['bodies-dir'] === undefined ? BodyMode.DISCARD : BodyMode.KEEP);
  if (!(BODY_MODES as readonly string[]).includes(body)) throw new UsageError(`--body expects ${BODY_MODES.slice(0, -1).join(', ')} or ${BODY_MODES.at(-1)}, got '${body}'`);
  return {
    concurrency: concurrencyFlag(values.concurrency),
    perOrigin: integerFlag('per-origin', values['per-origin'], OPTION_RANGES.perOrigin),
    maxSockets: integerFlag('max-sockets', values['max-sockets'], OPTION_RANGES.maxSockets),
    timeoutMs: integerFlag('timeout', values.timeout, OPTION_RANGES.timeoutMs),
    urlTimeoutMs: integerFlag('url-timeout', values['url-timeout'], OPTION_RANGES.urlTimeoutMs),
    connectTimeoutMs: integerFlag('connect-timeout', values['connect-timeout'], OPTION_RANGES.connectTimeoutMs),
    retries: integerFlag('retries', values.retries, OPTION_RANGES.retries),
    maxBodyBytes: integerFlag('max-bytes', values['max-bytes'], OPTION_RANGES.maxBodyBytes),
    maxRedirects: integerFlag('max-redirects', values['max-redirects'], OPTION_RANGES.maxRedirects),
    bodyMode: body as BodyMode,
    ...hostFlags(values),
    ...headerFlags(values),
    allowNetworks: values['allow-network'] ?? [],
    ...(values['ignore-in-body'] === undefined ? {} : { ignoreInBody: values['ignore-in-body'] }),
    ...recordFlags(values),
    ...(values['ca-file'] === undefined ? {} : { ca: readCaFile(values['ca-file']) }),
  };
}

/**
 * --concurrency as a number: its bounds are the engine's to check, which names the real upper
 * one (the connection budget under this open-file limit, e.g. 896 under 1,024 descriptors).
 */
function concurrencyFlag(value: string | undefined): number | undefined {
  if (value === undefined || /^\d+$/.test(value)) return value === undefined ? undefined : Number(value);
  return integerFlag('concurrency', value, OPTION_RANGES.concurrency);
}

/** What records carry and what counts as OK (the engine checks each value, naming the flag). */
function recordFlags(values: FetchFlagValues): FetchEngineOptions {
  const truncateAt = integerFlag('truncate-at', values['truncate-at'], OPTION_RANGES.truncateAt);
  const acceptTypes = values['accept-type']?.flatMap((text) => text.split(','));
  return {
    ...(values['ok-status'] === undefined ? {} : { okStatus: values['ok-status'] }),
    ...(values.method === undefined ? {} : { method: values.method }),
    ...(values['head-fallback'] ? { headFallback: true } : {}),
    ...(values['redirect-chain'] ? { redirectChain: true } : {}),
    ...(values['keep-header'] === undefined ? {} : { keepHeaders: values['keep-header'] }),
    ...(values['tls-info'] ? { tlsInfo: true } : {}),
    ...(values.timings ? { timings: true } : {}),
    ...(truncateAt === undefined ? {} : { truncateAt }),
    ...(acceptTypes === undefined ? {} : { acceptTypes }),
  };
}

/** -H/--header and --user-agent (FETCH_USER_AGENT when the flag is absent, as on Lambda). */
function headerFlags(values: FetchFlagValues): Pick<FetchEngineOptions, 'headers' | 'userAgent'> {
  const headers: Record<string, string> = {};
  for (const text of values.header ?? []) {
    const colon = text.indexOf(':');
    // Not the text: it may be a credential with its colon forgotten, and errors end up in logs.
    if (colon <= 0) throw new UsageError(`--header expects 'Name: value', got ${text.length} characters without a colon (not shown)`);
    headers[text.slice(0, colon).trim()] = text.slice(colon + 1).trim();
  }
  const userAgent = values['user-agent'] ?? process.env.FETCH_USER_AGENT;
  return { ...(Object.keys(headers).length > 0 ? { headers } : {}), ...(userAgent ? { userAgent } : {}) };
}

/** The politeness flags as engine options, each checked with a message naming its flag. */
function hostFlags(values: FetchFlagValues): Pick<FetchEngineOptions, 'perHostRate' | 'perHostConcurrency' | 'hostRules' | 'adaptiveBackoff' | 'robotsTxt'> {
  const rate = values['per-host-rate'];
  if (rate !== undefined && !(/^\d*\.?\d+$/.test(rate) && Number(rate) >= PER_HOST_RATE.min && Number(rate) <= PER_HOST_RATE.max)) {
    throw new UsageError(`--per-host-rate expects a number from ${PER_HOST_RATE.min} to ${PER_HOST_RATE.max} (requests per second), got '${rate}'`);
  }
  const rules = (values['host-rule'] ?? []).map((text) => {
    const rule = parseHostRule(text);
    if (typeof rule === 'string') throw new UsageError(`--host-rule: ${rule}`);
    return rule;
  });
  const concurrency = integerFlag('per-host-concurrency', values['per-host-concurrency'], OPTION_RANGES.perHostConcurrency);
  return {
    ...(rate === undefined ? {} : { perHostRate: Number(rate) }),
    ...(concurrency === undefined ? {} : { perHostConcurrency: concurrency }),
    ...(rules.length > 0 ? { hostRules: rules } : {}),
    ...(values['no-adaptive-backoff'] ? { adaptiveBackoff: false } : {}),
    ...(values['robots-txt'] ? { robotsTxt: true } : {}),
  };
}

/** The PEM text of --ca-file; what else the file holds is never shown (it may be a private key). */
function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca-file: cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file: '${path}' holds no PEM certificate (no -----BEGIN CERTIFICATE----- line)`);
  return text;
}

/** An engine option error in the words of the command line: `concurrency` becomes `--concurrency`. */
function describeOptionError(error: InvalidOptionError): string {
  const flagOf = (name: string) => FLAG_OF_OPTION[name] ?? `\`${name}\``;
  const expected = error.expected.replace(/`(\w+)`/g, (_quoted, name: string) => flagOf(name));
  return `${flagOf(error.option)} expects ${expected}, got '${String(error.received)}'`;
}

export { describeOptionError, engineOptionsFrom, FETCH_FLAGS, FETCH_FLAGS_USAGE, FLAG_OF_OPTION };
