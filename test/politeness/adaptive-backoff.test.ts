import { HostGate, type HostTicket } from '../../lib/politeness/host-gate.ts';
import { HostRules } from '../../lib/politeness/host-rules.ts';

/**
 * Adaptive backoff step by step, on a clock the test moves: what a 429/503 without Retry-After
 * does to the host's concurrency and whether the host is paused.
 */
describe('adaptive backoff (HostGate)', () => {
  const ORIGIN = 'http://busy.example';
  let now: number;
  const gates: HostGate[] = [];
  const gate = (hostConcurrency = 6, maxPauseMs?: number) => {
    const hosts = new HostGate({ rules: new HostRules(), now: () => now, hostConcurrency, ...(maxPauseMs === undefined ? {} : { maxPauseMs }) });
    gates.push(hosts);
    return hosts;
  };
  const pushback = { pushback: true } as const;
  afterEach(() => gates.splice(0).forEach((hosts) => hosts.close()));
  /** Requests the gate lets start now (they stay in flight); the first that would wait is withdrawn. */
  const startable = (hosts: HostGate, upTo = 20): HostTicket[] => {
    const tickets: HostTicket[] = [];
    for (let i = 0; i < upTo; i++) {
      const probe = new AbortController();
      const entry = hosts.enter(ORIGIN, probe.signal);
      if (entry instanceof Promise) {
        probe.abort();
        break;
      }
      tickets.push(entry);
    }
    return tickets;
  };

  beforeEach(() => {
    now = 1_000_000;
  });

  test('a sporadic 503 halves the requests in flight to the host, from what was in flight, without pausing it', () => {
    const hosts = gate(6);
    // Six requests in flight to a host without a rule (it has no state yet); one answers 503.
    hosts.done(hosts.enter(ORIGIN) as HostTicket, ORIGIN, { pushback: true, sentAt: now - 5 });

    // Half of six may start at once: the host is slowed, not stopped.
    expect(startable(hosts)).toHaveLength(3);
  });

  test('a host is paused only when it pushes back with one request in flight, or says how long (Retry-After)', () => {
    const hosts = gate(2);
    hosts.done(hosts.enter(ORIGIN) as HostTicket, ORIGIN, pushback);
    const [only] = startable(hosts);
    expect(only).toBeDefined();
    expect(startable(hosts)).toHaveLength(0); // one in flight: the halved limit

    now += 10;
    only!.done({ pushback: true, sentAt: now - 1 });
    // Down to one and pushed back again: paused (1 s), nothing starts until it passes.
    expect(startable(hosts)).toHaveLength(0);
    now += 1_001;
    expect(startable(hosts)).toHaveLength(1);

    const other = gate(6);
    other.done(other.enter(ORIGIN) as HostTicket, ORIGIN, { pushback: true, retryAfterMs: 5_000, sentAt: now - 1 });
    expect(startable(other)).toHaveLength(0);
    now += 5_001;
    expect(startable(other)).toHaveLength(3);
  });

  test('a Retry-After far too long (10^26 s) pauses the host no longer than the engine waits for one (no timer overflow)', () => {
    const hosts = gate(6, 30_000);
    const [ticket] = startable(hosts, 1);
    hosts.done(ticket!, ORIGIN, { pushback: true, retryAfterMs: 1e29 });

    expect(startable(hosts)).toHaveLength(0);
    now += 29_999;
    expect(startable(hosts)).toHaveLength(0);
    now += 1;
    expect(startable(hosts).length).toBeGreaterThan(0);
  });
});
