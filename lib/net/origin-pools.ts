import type { Dispatcher, Pool as UndiciPool } from 'undici';
import { Client, Pool } from './undici-core.ts';

/** Dispatch options of a request that must not reuse a pooled socket. */
interface FreshDispatchOptions extends Dispatcher.DispatchOptions {
  /** Sent over a new connection, closed after the response (the retry after a stale socket). */
  readonly freshConnection?: boolean;
}

/** Given to `destroy` of a retired pool, so undici does not build a new error (and stack) per client. */
const RETIRED = Object.assign(new Error('connection pool retired: its origin has no connection left'), { code: 'UND_ERR_DESTROYED' });

/**
 * One undici `Pool` per origin, created on first use. It does what undici's `Agent` does for
 * HTTP/1.1, minus the costs that show at thousands of origins (measured in a profile of 1,000
 * origins under an 896-socket budget, where most requests need a new connection):
 * - the Agent closes a pool as soon as its last socket closes and builds a new one for the next
 *   request (a 2,048-slot queue and a deep clone of the options each time), then scans every
 *   pool's key (`closeClientIfUnused` in lib/dispatcher/agent.js: O(origins) per closed socket);
 * - closing a pool creates a `ClientDestroyedError`, stack trace included, for each client.
 * Here unused pools are kept, up to `maxPools`; past that the oldest pool without a connection or
 * request is destroyed with one shared error. A pool in use is never retired, so the pools alive
 * are at most `maxPools` plus those whose requests wait for a socket (at most the concurrency):
 * memory follows the budget, not the origins seen.
 */
class OriginPools {
  /** In creation order; a pool found in use when retiring is moved to the end. */
  readonly #pools = new Map<string, UndiciPool>();
  readonly #options: UndiciPool.Options;
  readonly #maxPools: number;

  constructor(options: UndiciPool.Options, maxPools: number) {
    this.#options = options;
    this.#maxPools = maxPools;
  }

  /** Pools alive now. */
  get size(): number {
    return this.#pools.size;
  }

  dispatch(options: FreshDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = options.origin as string;
    if (options.freshConnection) return this.#dispatchFresh(origin, options, handler);
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      // Make room first, so the pool about to take this request is never the one retired.
      if (this.#pools.size >= this.#maxPools) this.#retireOne();
      pool = new Pool(origin, this.#options);
      this.#pools.set(origin, pool);
    }
    return pool.dispatch(options, handler);
  }

  /**
   * One request over a connection of its own (same connector, so the same budget, destination
   * checks and TLS sessions), closed after its response: the pool's other idle sockets may be
   * as dead as the one that just failed.
   */
  #dispatchFresh(origin: string, options: FreshDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const { connections: _connections, ...clientOptions } = this.#options;
    const client = new Client(origin, clientOptions);
    const { freshConnection: _fresh, ...request } = options;
    const dispatched = client.dispatch({ ...request, reset: true }, handler);
    // close() lets the queued request finish first, then releases the socket.
    client.close().catch(() => {});
    return dispatched;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  async destroy(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }

  /** Destroys the oldest pool that has no connection and no request, if there is one. */
  #retireOne(): void {
    let looked = 0;
    for (const [origin, pool] of this.#pools) {
      if (looked++ >= this.#pools.size) return;
      this.#pools.delete(origin);
      if (isUnused(pool)) {
        void pool.destroy(RETIRED);
        return;
      }
      this.#pools.set(origin, pool); // in use: look at it again last
    }
  }
}

/** No connection and no request, queued, connecting or running: from the pool's public stats. */
function isUnused(pool: UndiciPool): boolean {
  const { connected, pending, running } = pool.stats;
  return connected === 0 && pending === 0 && running === 0;
}

export { OriginPools };
export type { FreshDispatchOptions };
