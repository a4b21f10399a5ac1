import { ALLOW_ALL, DISALLOW_ALL, parseRobots, type RobotsRules } from './robots-rules.ts';

/** What an origin's robots.txt said, as kept between environments. */
interface StoredRobots {
  /** `text`: parse `text`; `allow`: unavailable (4xx), all allowed; `disallow`: unreachable (5xx, network), all disallowed. */
  readonly kind: 'text' | 'allow' | 'disallow';
  readonly text?: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
}

/** A cache of robots.txt shared by environments (a DynamoDB item per origin, see robots-store.ts). */
interface RobotsStore {
  get(origin: string): Promise<StoredRobots | undefined>;
  put(origin: string, robots: StoredRobots): Promise<void>;
}

/** The three fields of a fetch result the cache reads (the engine's FetchResult has them). */
interface RobotsResponse {
  readonly ok: boolean;
  readonly status: number | null;
  /** The body, base64-encoded (the engine's `body: keep` mode). */
  readonly body?: string | undefined;
}

interface RobotsCacheOptions {
  /** Fetches `<origin>/robots.txt` through the engine (safe destinations, size and time caps). */
  readonly fetchRobots: (url: string) => Promise<RobotsResponse>;
  /** Our product token, matched against `User-agent` lines. */
  readonly agent: string;
  readonly store?: RobotsStore;
  /** Told the Crawl-delay of an origin, as a rate. */
  readonly onCrawlDelay?: (origin: string, rate: number) => void;
  readonly now?: () => number;
}

/** RFC 9309 §2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours. */
const FETCHED_TTL_MS = 24 * 3600 * 1000;
/** An unreachable robots.txt disallows everything (§2.3.1.4); asked again after this long. */
const UNREACHABLE_TTL_MS = 15 * 60 * 1000;
/** At most this much of a robots.txt is kept in the shared store (a DynamoDB item holds 400 KB). */
const MAX_STORED_CHARS = 100_000;
const MAX_ORIGINS = 10_000;

interface Entry {
  readonly rules: RobotsRules;
  readonly expiresAt: number;
}

/**
 * robots.txt per origin, fetched once (concurrent callers share the fetch), kept for 24 hours
 * (15 minutes when unreachable), and shared with other environments through `store`. A 4xx answer
 * allows everything, a 5xx or a network failure disallows everything for a while (RFC 9309
 * §2.3.1.3, §2.3.1.4). Redirects are followed by the engine (up to its limit, at least the five
 * the RFC asks for by default).
 */
class RobotsCache {
  readonly #options: RobotsCacheOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();

  constructor(options: RobotsCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `path` of `origin` may be fetched: synchronous when the origin's rules are cached. */
  allows(origin: string, path: string): boolean | Promise<boolean> {
    if (path === '/robots.txt') return true;
    const entry = this.#entries.get(origin);
    if (entry !== undefined && entry.expiresAt > this.#now()) return entry.rules.allows(path);
    let loading = this.#loading.get(origin);
    if (loading === undefined) {
      loading = this.#load(origin).finally(() => this.#loading.delete(origin));
      this.#loading.set(origin, loading);
    }
    return loading.then((loaded) => loaded.rules.allows(path));
  }

  async #load(origin: string): Promise<Entry> {
    const shared = await this.#options.store?.get(origin).catch(() => undefined);
    const stored = shared !== undefined && shared.expiresAt > this.#now() ? shared : await this.#fetch(origin);
    if (stored !== shared) await this.#options.store?.put(origin, stored).catch(() => {});
    const rules = stored.kind === 'allow' ? ALLOW_ALL : stored.kind === 'disallow' ? DISALLOW_ALL : parseRobots(stored.text ?? '', this.#options.agent);
    if (rules.crawlDelaySeconds !== undefined && rules.crawlDelaySeconds > 0) {
      this.#options.onCrawlDelay?.(origin, 1 / rules.crawlDelaySeconds);
    }
    const entry = { rules, expiresAt: stored.expiresAt };
    if (this.#entries.size >= MAX_ORIGINS) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(origin, entry);
    return entry;
  }

  async #fetch(origin: string): Promise<StoredRobots> {
    const result = await this.#options.fetchRobots(`${origin}/robots.txt`);
    const now = this.#now();
    if (result.ok) {
      const text = Buffer.from(result.body ?? '', 'base64').toString('utf8').slice(0, MAX_STORED_CHARS);
      return { kind: 'text', text, expiresAt: now + FETCHED_TTL_MS };
    }
    if (result.status !== null && result.status >= 400 && result.status < 500) return { kind: 'allow', expiresAt: now + FETCHED_TTL_MS };
    return { kind: 'disallow', expiresAt: now + UNREACHABLE_TTL_MS };
  }
}

export { RobotsCache };
export type { RobotsResponse, RobotsStore, StoredRobots };
