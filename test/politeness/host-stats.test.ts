import { HostGate } from '../../lib/politeness/host-gate.ts';
import { HostRules } from '../../lib/politeness/host-rules.ts';

describe('host statistics', () => {
  test('reading the stats changes nothing: the same figures twice, and again once the host is calm and forgotten', async () => {
    let now = 1_000_000;
    const gate = new HostGate({ rules: new HostRules([{ pattern: 'a.test', concurrency: 1 }]), now: () => now });
    const first = gate.enter('http://a.test') as { done(): void };
    const waiting = gate.enter('http://a.test');
    gate.done(first, 'http://a.test', { pushback: true, retryAfterMs: 0, sentAt: now });

    const read1 = gate.stats;
    const read2 = gate.stats;
    expect(read2).toStrictEqual(read1);
    expect(read1).toStrictEqual({ waits: 1, pushbacks: 1, topHosts: [{ host: 'a.test', waits: 1, pushbacks: 1 }] });

    now += 1;
    const second = await waiting;
    gate.done(second!, 'http://a.test', { pushback: false, sentAt: now });
    expect(gate.stats).toStrictEqual(read1);
    gate.close();
  });
});
