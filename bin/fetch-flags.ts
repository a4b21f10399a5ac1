import type { FetchEngineOptions } from '../lib/index.ts';
import { integerFlag, UsageError } from './usage-error.ts';

/** The fetch flags `run` and `worker` share (parseArgs option specs). */
const FETCH_FLAGS = {
  concurrency: { type: 'string' },
  'per-origin': { type: 'string' },
  timeout: { type: 'string' },
  'connect-timeout': { type: 'string' },
  retries: { type: 'string' },
  'max-bytes': { type: 'string' },
  'max-redirects': { type: 'string' },
  body: { type: 'string' },
  'allow-network': { type: 'string', multiple: true },
} as const;

const FETCH_FLAGS_USAGE = `  --concurrency N        requests in flight at most (default 64)
  --per-origin N         connections per origin at most (default 16)
  --timeout MS           deadline of one attempt (default 30000)
  --connect-timeout MS   TCP/TLS connect timeout (default 10000)
  --retries N            retries after the first attempt (default 2)
  --max-bytes N          decoded body bytes per response at most (default 10485760)
  --max-redirects N      redirects followed at most (default 5)
  --body MODE            discard | hash | keep (default discard)
  --allow-network CIDR   allow a blocked range, e.g. 127.0.0.0/8 (repeatable)`;

type FetchFlagValues = { [K in keyof typeof FETCH_FLAGS]?: (typeof FETCH_FLAGS)[K] extends { multiple: true } ? string[] : string };

/** Engine options from the shared fetch flags, each validated with a message naming the flag. */
function engineOptionsFrom(values: FetchFlagValues): FetchEngineOptions {
  const body = values.body ?? 'discard';
  if (!['discard', 'hash', 'keep'].includes(body)) throw new UsageError(`--body expects discard, hash or keep, got '${body}'`);
  return {
    concurrency: integerFlag('concurrency', values.concurrency, 1, 4096),
    perOrigin: integerFlag('per-origin', values['per-origin'], 1, 4096),
    timeoutMs: integerFlag('timeout', values.timeout, 1, 900_000),
    connectTimeoutMs: integerFlag('connect-timeout', values['connect-timeout'], 1, 900_000),
    retries: integerFlag('retries', values.retries, 0, 10),
    maxBodyBytes: integerFlag('max-bytes', values['max-bytes'], 0, 1024 ** 3),
    maxRedirects: integerFlag('max-redirects', values['max-redirects'], 0, 20),
    bodyMode: body as 'discard' | 'hash' | 'keep',
    allowNetworks: values['allow-network'] ?? [],
  };
}

export { engineOptionsFrom, FETCH_FLAGS, FETCH_FLAGS_USAGE };
