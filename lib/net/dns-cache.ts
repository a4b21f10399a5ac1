import type { LookupAddress } from 'node:dns';
import { SystemResolver, type DnsAnswer } from './system-resolver.ts';
import { BatchfetchError } from '../core/errors.ts';

/** Resolves a host name: the addresses, or an answer that also says how long it may be reused. */
type Resolver = (hostname: string) => Promise<LookupAddress[] | DnsAnswer>;

interface DnsCacheOptions {
  /** Longest reuse of an answer, in ms; a shorter TTL in the answer wins. @default 30_000 */
  readonly ttlMs?: number;
  /** How long "no such name" is remembered, in ms (RFC 2308 negative caching). @default min(ttlMs, 30_000) */
  readonly negativeTtlMs?: number;
  /** Upper bound on one resolution, in ms (getaddrinfo itself cannot be cancelled). @default 5_000 */
  readonly timeoutMs?: number;
  /** Entries kept at most; the oldest are dropped first. @default 10_000 */
  readonly maxEntries?: number;
  /** Injected for tests or a custom DNS; defaults to `SystemResolver` (c-ares, /etc/hosts, getaddrinfo fallback). */
  readonly resolve?: Resolver;
  readonly now?: () => number;
}

/** An answer's TTL below this is raised to it: a TTL of 0 would mean one query per connection. */
const MIN_TTL_MS = 1_000;

interface Entry {
  expiresAt: number;
  readonly addresses: Promise<LookupAddress[]>;
  /** The answer, once it arrived. */
  settled?: readonly LookupAddress[];
}

/** A lookup that outlasted its timeout; `EAI_AGAIN`, as getaddrinfo says, so it classifies as a temporary DNS failure. */
class DnsTimeoutError extends BatchfetchError {
  override readonly name = 'DnsTimeoutError';
  constructor() {
    super('EAI_AGAIN', 'DNS lookup timed out');
  }
}

/**
 * A shared DNS cache: concurrent lookups of one name share a single resolution; answers are reused
 * for their TTL (at most `ttlMs`, at least 1 s); "no such name" is remembered for `negativeTtlMs`;
 * other failures are not cached (the next request asks again). Bounded: at most `maxEntries`
 * names, the oldest dropped first, so memory follows the hosts in use, not every host seen.
 */
class DnsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #timeoutMs: number;
  readonly #maxEntries: number;
  readonly #resolve: Resolver;
  readonly #now: () => number;

  constructor(options: DnsCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000; // 30 s
    this.#negativeTtlMs = options.negativeTtlMs ?? Math.min(this.#ttlMs, 30_000); // 30 s
    this.#timeoutMs = options.timeoutMs ?? 5_000; // 5 s
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#resolve = options.resolve ?? new SystemResolver().resolve;
    this.#now = options.now ?? Date.now;
  }

  lookup(hostname: string): Promise<LookupAddress[]> {
    const now = this.#now();
    const cached = this.#entries.get(hostname);
    if (cached && cached.expiresAt > now) return cached.addresses;

    const answer = this.#resolveWithTimeout(hostname).then((resolved): DnsAnswer => (Array.isArray(resolved) ? { addresses: resolved } : resolved));
    const addresses = answer.then((resolved) => resolved.addresses);
    if (cached) this.#entries.delete(hostname);
    if (this.#entries.size >= this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    const entry: Entry = { expiresAt: now + this.#ttlMs, addresses };
    this.#entries.set(hostname, entry);
    answer.then(({ addresses: settled, ttlMs }) => {
      entry.settled = settled;
      if (ttlMs !== undefined) entry.expiresAt = Math.min(entry.expiresAt, this.#now() + Math.max(MIN_TTL_MS, ttlMs));
    }, (error: unknown) => {
      if (this.#entries.get(hostname) !== entry) return;
      const code = (error as { code?: string } | null)?.code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') entry.expiresAt = this.#now() + this.#negativeTtlMs;
      else this.#entries.delete(hostname);
    });
    return addresses;
  }

  /** The cached answer for `hostname` if it is fresh and has arrived, without resolving. */
  peek(hostname: string): readonly LookupAddress[] | undefined {
    const cached = this.#entries.get(hostname);
    return cached && cached.expiresAt > this.#now() ? cached.settled : undefined;
  }

  #resolveWithTimeout(hostname: string): Promise<LookupAddress[] | DnsAnswer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new DnsTimeoutError()), this.#timeoutMs);
      this.#resolve(hostname).then(
        (addresses) => { clearTimeout(timer); resolve(addresses); },
        (error: unknown) => { clearTimeout(timer); reject(error as Error); }, // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion -- passes on the resolver's own error (prefer-promise-reject-errors wants the cast)
      );
    });
  }
}

export { DnsCache };
export type { DnsCacheOptions, Resolver };
