import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

type Resolver = (hostname: string) => Promise<LookupAddress[]>;

interface DnsCacheOptions {
  /** How long a successful answer is reused, in ms. @default 30_000 */
  readonly ttlMs?: number;
  /** Upper bound on one resolution, in ms (getaddrinfo itself cannot be cancelled). @default 5_000 */
  readonly timeoutMs?: number;
  /** Entries kept at most; the oldest are dropped first. @default 10_000 */
  readonly maxEntries?: number;
  /** Injected for tests; defaults to the OS resolver (`dns.lookup`, all addresses). */
  readonly resolve?: Resolver;
  readonly now?: () => number;
}

interface Entry {
  readonly expiresAt: number;
  readonly addresses: Promise<LookupAddress[]>;
  /** The answer, once it arrived. */
  settled?: readonly LookupAddress[];
}

const osResolve: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, order: 'verbatim' }, (error, addresses) =>
      error ? reject(error) : resolve(addresses));
  });

class DnsTimeoutError extends Error {
  readonly code = 'EAI_AGAIN';
  constructor() {
    super('DNS lookup timed out');
  }
}

/**
 * A shared DNS cache: concurrent lookups of one name share a single resolution, answers are reused
 * for `ttlMs`, failures are not cached (the next request asks again).
 */
class DnsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #maxEntries: number;
  readonly #resolve: Resolver;
  readonly #now: () => number;

  constructor(options: DnsCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000; // 30 s
    this.#timeoutMs = options.timeoutMs ?? 5_000; // 5 s
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#resolve = options.resolve ?? osResolve;
    this.#now = options.now ?? Date.now;
  }

  lookup(hostname: string): Promise<LookupAddress[]> {
    const now = this.#now();
    const cached = this.#entries.get(hostname);
    if (cached && cached.expiresAt > now) return cached.addresses;

    const addresses = this.#resolveWithTimeout(hostname);
    if (this.#entries.size >= this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    const entry: Entry = { expiresAt: now + this.#ttlMs, addresses };
    this.#entries.set(hostname, entry);
    addresses.then((answer) => { entry.settled = answer; }, () => {
      if (this.#entries.get(hostname) === entry) this.#entries.delete(hostname);
    });
    return addresses;
  }

  /** The cached answer for `hostname` if it is fresh and has arrived, without resolving. */
  peek(hostname: string): readonly LookupAddress[] | undefined {
    const cached = this.#entries.get(hostname);
    return cached && cached.expiresAt > this.#now() ? cached.settled : undefined;
  }

  #resolveWithTimeout(hostname: string): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new DnsTimeoutError()), this.#timeoutMs);
      this.#resolve(hostname).then(
        (addresses) => { clearTimeout(timer); resolve(addresses); },
        (error: unknown) => { clearTimeout(timer); reject(error); },
      );
    });
  }
}

export { DnsCache };
export type { DnsCacheOptions, Resolver };
