import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/*
 * When this process's undici dispatched each request, per host, on the clock the engine's own
 * politeness decisions read (Date.now, in this process). Read here rather than at a test
 * server, whose arrival times a busy event loop bunches together: a rate that holds at dispatch
 * could look broken at arrival, and the test would flake on a loaded machine.
 */
class DispatchLog {
  readonly #at = new Map<string, number[]>();
  readonly #listener = (message: unknown) => {
    const { request } = message as { request: { origin: string | URL } };
    const host = new URL(String(request.origin)).hostname;
    const at = this.#at.get(host) ?? [];
    at.push(Date.now());
    this.#at.set(host, at);
  };

  constructor() {
    subscribe('undici:request:create', this.#listener);
  }

  /** Times (ms since the epoch) requests to `host` were dispatched, in order. */
  dispatched(host: string): readonly number[] {
    return this.#at.get(host) ?? [];
  }

  /** The most requests to `host` dispatched within any `windowMs`. */
  peakIn(host: string, windowMs: number): number {
    const at = this.dispatched(host);
    let peak = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (at[i]! - at[j]! >= windowMs) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return peak;
  }

  close(): void {
    unsubscribe('undici:request:create', this.#listener);
  }
}

export { DispatchLog };
