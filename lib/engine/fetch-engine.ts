import { setTimeout as delay } from 'node:timers/promises';
import { getCACertificates } from 'node:tls';
import { createBudgetedConnector } from '../net/budgeted-connector.ts';
import { DnsCache } from '../net/dns-cache.ts';
import { createDestinationPolicy } from '../net/destination-policy.ts';
import { DestinationGuard } from '../net/destination-guard.ts';
import { createSafeConnector } from '../net/safe-connector.ts';
import { OriginPools } from '../net/origin-pools.ts';
import { SystemResolver } from '../net/system-resolver.ts';
import { SocketBudget, type SocketBudgetStats } from '../net/socket-budget.ts';
import { TlsSessionStore } from '../net/tls-sessions.ts';
import { watchRequestSockets } from '../net/connection-facts.ts';
import { resolveEngineOptions, type FetchEngineOptions, type ResolvedEngineOptions } from './options.ts';
import type { AttemptSettings } from './attempt.ts';
import { CancelScope } from './cancel-scope.ts';
import type { FetchRequest, FetchResult } from './fetch-types.ts';
import { fetchUrl, robotsContextOf, type FetchContext } from './fetch-url.ts';
import { attemptSettingsOf } from './attempt-settings.ts';
import { schedule, type Fetched } from './scheduler.ts';
import type { WindowEngine } from './origin-window.ts';
import { Semaphore } from '../core/semaphore.ts';
import { HostGate, type HostGateStats } from '../politeness/host-gate.ts';
import { HostRules } from '../politeness/host-rules.ts';
import { RobotsCache } from '../politeness/robots-cache.ts';

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks the signal
  }
}

/**
 * URLs that may wait (for their host's turn or a retry) beyond the `concurrency` active ones: a
 * paused host then costs memory (a pending promise each), never another host's throughput.
 */
const MAX_WAITING_URLS = 8_192;

/** TLS sessions kept for resumption, one per server name (a few MB at most). */
const MAX_TLS_SESSIONS = 2_048;

const identity = (request: FetchRequest) => request;
const resultOnly = (_request: FetchRequest, result: FetchResult) => result;
const pairOf = <T>(item: T, result: FetchResult): Fetched<T> => ({ item, result });

/**
 * One fetch engine per run or Lambda cold start: keep-alive connection pools (undici, one per origin)
 * under one connection budget, one DNS cache and one global concurrency limit shared by every caller. Callers count results
 * (RunStats, EMF metrics) where they need them.
 *
 * @example
 * const engine = createFetchEngine({ concurrency: 64, allowNetworks: ['127.0.0.0/8'] });
 * for await (const result of engine.fetchAll(['http://127.0.0.1:8080/'].map((url) => ({ url })))) {
 *   console.log(result.status, result.latencyMs);
 * }
 * await engine.close();
 */
class FetchEngine {
  readonly options: ResolvedEngineOptions;
  readonly #agent: OriginPools;
  readonly #guard: DestinationGuard;
  readonly #budget: SocketBudget;
  readonly #limit: Semaphore;
  readonly #hosts: HostGate;
  readonly #robots: RobotsCache | undefined;
  /** URLs in progress that hold no permit: waiting for their host, or asleep before a retry. */
  #waiting = 0;
  readonly #waitWatchers = new Set<() => void>();
  readonly #attemptSettings: AttemptSettings;
  readonly #stopWatchingSockets: (() => void) | undefined; // with timings or TLS facts only
  readonly #contexts = new WeakMap<AbortSignal, FetchContext>();
  readonly #defaultContext: FetchContext;
  #inFlight = 0;
  /** Resolved when in-flight work reaches zero; shared by every caller of drain(). */
  #idle: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(options: FetchEngineOptions = {}) {
    this.options = resolveEngineOptions(options, abortableSleep);
    const resolved = this.options;
    const dns = new DnsCache({
      ttlMs: resolved.dnsTtlMs,
      timeoutMs: resolved.connectTimeoutMs,
      resolve: resolved.dnsResolve ?? new SystemResolver(resolved.dnsServers ? { servers: resolved.dnsServers } : {}).resolve,
    });
    this.#guard = new DestinationGuard(createDestinationPolicy({ allowNetworks: resolved.allowNetworks }), dns);
    this.#budget = new SocketBudget(resolved.maxSockets);
    const safeConnect = createSafeConnector({
      guard: this.#guard,
      dns,
      connectTimeoutMs: resolved.connectTimeoutMs,
      phases: resolved.timings,
      tlsFacts: resolved.tlsInfo,
      tls: {
        ca: resolved.ca.length > 0 ? [...getCACertificates('default'), ...resolved.ca] : undefined,
        sessions: new TlsSessionStore(MAX_TLS_SESSIONS),
      },
    });
    this.#agent = new OriginPools({
      connect: createBudgetedConnector(safeConnect, { budget: this.#budget, giveUpAfterMs: resolved.timeoutMs }),
      connections: resolved.perOrigin,
      // Pipelining lets one hostile response poison the next on a shared socket (undici SECURITY.md).
      pipelining: 1,
      allowH2: false,
      keepAliveTimeout: resolved.keepAliveTimeoutMs,
      // A server's `Keep-Alive: timeout=N` hint may shorten idle time, never extend it: idle
      // sockets hold descriptors (undici's default lets a hint keep one for up to 600 s).
      keepAliveMaxTimeout: resolved.keepAliveTimeoutMs,
      headersTimeout: resolved.headersTimeoutMs,
      bodyTimeout: resolved.bodyIdleTimeoutMs,
    }, resolved.maxSockets);
    this.#limit = new Semaphore(resolved.concurrency);
    this.#hosts = new HostGate({
      rules: new HostRules(resolved.hostRules, {
        ...(resolved.perHostRate === undefined ? {} : { rate: resolved.perHostRate }),
        ...(resolved.perHostConcurrency === undefined ? {} : { concurrency: resolved.perHostConcurrency }),
      }),
      adaptive: resolved.adaptiveBackoff,
      hostConcurrency: resolved.perOrigin,
      maxPauseMs: resolved.maxRetryAfterMs,
      ...(resolved.hostTokens ? { tokens: resolved.hostTokens } : {}),
      onWait: this.#onWait,
    });
    this.#attemptSettings = attemptSettingsOf(resolved);
    this.#stopWatchingSockets = resolved.timings || resolved.tlsInfo ? watchRequestSockets() : undefined;
    this.#robots = resolved.robotsTxt ? this.#robotsCache(resolved) : undefined;
    this.#defaultContext = this.#makeContext(resolved.signal);
  }

  /**
   * robots.txt through this engine itself (same destination checks, host politeness and
   * permits), its body kept and capped at 500 KiB, the size RFC 9309 §2.5 asks crawlers to parse.
   */
  #robotsCache(resolved: ResolvedEngineOptions): RobotsCache {
    let context: FetchContext | undefined;
    return new RobotsCache({
      agent: resolved.userAgent.split('/')[0]!.trim() || 'batchfetch',
      ...(resolved.robotsStore ? { store: resolved.robotsStore } : {}),
      fetchRobots: (url) => fetchUrl({ url, limits: { retries: 1, timeoutMs: 10_000, maxBodyBytes: 500 * 1024 } }, context ??= robotsContextOf(this.#defaultContext)),
      onCrawlDelay: (origin, rate) => this.#hosts.limitRate(origin, rate),
    });
  }

  /** Sockets open now and at peak, evictions and waits of the connection budget; pools alive. */
  get socketStats(): SocketBudgetStats & { readonly pools: number } {
    return { ...this.#budget.stats, pools: this.#agent.size };
  }

  /** What a scheduler's window of URLs asks of the engine: the connection budget, by origin. */
  get windowEngine(): WindowEngine {
    return { perOrigin: this.options.perOrigin, idleConnectionsOf: (origin) => this.#budget.idleOf(origin),
      noteWaiting: (origin, delta) => this.#budget.noteWaiting(origin, delta), originsWaiting: () => this.#budget.originsWaiting };
  }

  /** URLs in progress (each holds an engine permit only while one of its requests is on the wire). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** URLs in progress that hold no permit: waiting for their host's turn or for a retry. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Per-host politeness so far: waits, pushbacks, the hosts that made requests wait most. */
  get hostStats(): HostGateStats {
    return this.#hosts.stats;
  }

  /**
   * Calls `watcher` whenever a URL starts waiting (a permit-free slot opened: a caller bounding
   * the URLs it has in progress may start another). Returns the unsubscribe function.
   */
  watchWaiting(watcher: () => void): () => void {
    this.#waitWatchers.add(watcher);
    return () => this.#waitWatchers.delete(watcher);
  }

  #watchersDue = false;

  /**
   * Watchers are told in a microtask, once for any number of URLs that started waiting in the
   * meantime: told synchronously, a watcher starting URLs that wait at once would start more from
   * inside itself, one stack frame deeper per waiting URL (thousands for a paused host).
   */
  readonly #onWait = (delta: number): void => {
    this.#waiting += delta;
    if (delta <= 0 || this.#watchersDue || this.#waitWatchers.size === 0) return;
    this.#watchersDue = true;
    queueMicrotask(() => {
      this.#watchersDue = false;
      for (const watcher of this.#waitWatchers) watcher();
    });
  };

  /**
   * Fetches one URL to its final result. Each of its requests waits for its host's turn, then for
   * one of the `concurrency` permits. Never throws: failures are results with an error code.
   * `signal` (with the engine's own) aborts it.
   */
  async fetch(request: FetchRequest, signal?: AbortSignal): Promise<FetchResult> {
    this.#inFlight += 1;
    try {
      return await fetchUrl(request, this.#context(signal));
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) {
        this.#idle?.resolve();
        this.#idle = undefined;
      }
    }
  }

  /**
   * Fetches a stream of requests with at most `concurrency` in flight, yielding results as they
   * complete (not in input order). Input is pulled only when a permit is free, so a million
   * URLs never sit in memory. Stopping the iteration early waits for the fetches in flight.
   */
  fetchAll(requests: Iterable<FetchRequest> | AsyncIterable<FetchRequest>, signal?: AbortSignal): AsyncGenerator<FetchResult> {
    return schedule(this, requests, identity, resultOnly, signal);
  }

  /**
   * `fetchAll` for items that carry a request (`requestOf`): yields each item with its result.
   * New URLs start only while the caller keeps pulling, so a caller that waits (for a write to
   * become durable) holds the next URLs back without holding the fetches in flight.
   */
  fetchEach<T>(items: Iterable<T> | AsyncIterable<T>, requestOf: (item: T) => FetchRequest, signal?: AbortSignal): AsyncGenerator<Fetched<T>> {
    return schedule(this, items, requestOf, pairOf, signal);
  }

  /**
   * Whether a caller with `inProgress` URLs started (fetchAll, the SQS consumer) may start one
   * more: fewer than `concurrency` of them are active (not waiting), and the waiting ones stay
   * bounded (memory).
   */
  mayStartAnother(inProgress: number): boolean {
    return inProgress - this.#waiting < this.options.concurrency && inProgress < this.options.concurrency + MAX_WAITING_URLS;
  }

  /** Resolves once nothing is in flight. */
  async drain(): Promise<void> {
    while (this.#inFlight > 0) {
      const idle = (this.#idle ??= Promise.withResolvers<void>());
      await idle.promise;
    }
  }

  /** Waits for work in flight, then closes every pooled connection. */
  async close(): Promise<void> {
    await this.drain();
    this.#hosts.close();
    this.#budget.close();
    this.#stopWatchingSockets?.();
    await this.#agent.close();
  }

  /** Closes every connection at once; requests in flight end with an error result. */
  async destroy(): Promise<void> {
    this.#hosts.close();
    this.#budget.close();
    this.#stopWatchingSockets?.();
    await this.#agent.destroy();
  }

  /** One context per caller signal (an invocation's deadline), not one per URL. */
  #context(signal: AbortSignal | undefined): FetchContext {
    if (!signal || signal === this.options.signal) return this.#defaultContext;
    let context = this.#contexts.get(signal);
    if (!context) {
      const runSignal = this.options.signal;
      context = this.#makeContext(runSignal ? AbortSignal.any([signal, runSignal]) : signal);
      this.#contexts.set(signal, context);
    }
    return context;
  }

  #makeContext(signal: AbortSignal | undefined): FetchContext {
    return {
      dispatcher: this.#agent,
      hosts: this.#hosts,
      permits: this.#limit,
      onWait: this.#onWait,
      ...(this.#robots ? { robots: this.#robots } : {}),
      guard: this.#guard,
      options: this.options,
      attemptSettings: this.#attemptSettings,
      scope: new CancelScope(signal),
    };
  }
}

function createFetchEngine(options?: FetchEngineOptions): FetchEngine {
  return new FetchEngine(options);
}

export { createFetchEngine, FetchEngine };
export type { Fetched } from './scheduler.ts';
