import type { HostState } from './host-state.ts';

interface HostGateStats {
  /** Requests that had to wait for their host (a limit, a pause or no token). */
  readonly waits: number;
  /** Times a host pushed back (429, 503, Retry-After) and was slowed down. */
  readonly pushbacks: number;
  /** The hosts that made requests wait most, most first (at most 5). */
  readonly topHosts: readonly { readonly host: string; readonly waits: number; readonly pushbacks: number }[];
}

/** Hosts remembered for the summary: the most recent ones, bounded. */
const MAX_REMEMBERED_HOSTS = 1_000;
const TOP_HOSTS = 5;

/** What hosts made requests wait, kept past the hosts' own state (which is dropped once calm). */
class HostStatsHistory {
  #waits = 0;
  #pushbacks = 0;
  readonly #byHost = new Map<string, { waits: number; pushbacks: number }>();

  countWait(): void {
    this.#waits += 1;
  }

  countPushback(): void {
    this.#pushbacks += 1;
  }

  /** Takes a host's counts into the history (its state is about to be dropped). */
  keep(state: HostState): void {
    if (state.waits === 0 && state.pushbacks === 0) return;
    const seen = this.#byHost.get(state.host) ?? { waits: 0, pushbacks: 0 };
    seen.waits += state.waits;
    seen.pushbacks += state.pushbacks;
    state.waits = 0;
    state.pushbacks = 0;
    this.#byHost.delete(state.host);
    if (this.#byHost.size >= MAX_REMEMBERED_HOSTS) this.#byHost.delete(this.#byHost.keys().next().value!);
    this.#byHost.set(state.host, seen);
  }

  /** The figures so far, hosts still in play included; reading them changes nothing. */
  snapshot(live: Iterable<HostState>): HostGateStats {
    const byHost = new Map([...this.#byHost].map(([host, counts]) => [host, { ...counts }]));
    for (const state of live) {
      if (state.waits === 0 && state.pushbacks === 0) continue;
      const seen = byHost.get(state.host) ?? { waits: 0, pushbacks: 0 };
      byHost.set(state.host, { waits: seen.waits + state.waits, pushbacks: seen.pushbacks + state.pushbacks });
    }
    const topHosts = [...byHost].map(([host, counts]) => ({ host, ...counts }))
      .sort((a, b) => b.waits + b.pushbacks - (a.waits + a.pushbacks)).slice(0, TOP_HOSTS);
    return { waits: this.#waits, pushbacks: this.#pushbacks, topHosts };
  }
}

export { HostStatsHistory };
export type { HostGateStats };
