import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, fetchAllOf as fetchAll, localEngine } from '../support/engines.ts';
import { DispatchLog } from '../support/dispatch-log.ts';
import { HostsServer, loopbackNames } from '../support/hosts-server.ts';
import { MemorySink } from '../support/memory-sink.ts';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { processSqsBatch } from '../../lib/handler/process-sqs-batch.ts';

/*
 * Per-host politeness in one engine, against a real server that records, per Host header, when
 * requests start and how many are in flight. Limits are upper bounds (they hold however slow the
 * machine is); nothing here asserts on speed.
 */
describe('per-host limits and adaptive backoff', () => {
  let server: HostsServer;
  let dispatches: DispatchLog;

  beforeEach(async () => {
    server = await HostsServer.start();
    dispatches = new DispatchLog();
  });

  afterEach(async () => {
    dispatches.close();
    await closeEngines();
    await server.close();
  });

  const slow = (ms: number) => (_req: unknown, res: { end: (body: string) => void }) => { setTimeout(() => res.end('ok'), ms); };
  const urls = (host: string, count: number) => Array.from({ length: count }, (_, i) => ({ url: server.url(host, `/?i=${i}`) }));

  test('a host rule caps requests in flight to that host; other hosts keep the engine concurrency', async () => {
    server.route('a.test', slow(20)).route('b.test', slow(20));
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 16, perOrigin: 16, hostRules: [{ pattern: 'a.test', concurrency: 2 }] });

    const results = await fetchAll(engine, [...urls('a.test', 30), ...urls('b.test', 30)]);

    expect(results.every((result) => result.ok)).toBe(true);
    expect(server.maxInFlight.get('a.test')).toBeLessThanOrEqual(2);
    expect(server.maxInFlight.get('b.test')).toBeGreaterThan(2);
  });

  test('a per-host rate holds for every host: at most rate + burst requests start in any second', async () => {
    const engine = localEngine({ dnsResolve: loopbackNames, perHostRate: 4 });

    const results = await fetchAll(engine, [...urls('a.test', 12), ...urls('b.test', 12)]);

    expect(results.every((result) => result.ok)).toBe(true);
    // 4 per second, a burst of 1: never more than 5 starts within one second, per host.
    expect(dispatches.peakIn('a.test', 1000)).toBeLessThanOrEqual(5);
    expect(dispatches.peakIn('b.test', 1000)).toBeLessThanOrEqual(5);
  }, 20_000);

  test('a host answering 429 with Retry-After is paused as a whole, while another host goes on untouched', async () => {
    let storm = true;
    server.route('storm.test', (_req, res) => {
      if (storm) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.end('ok');
    });
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 4, retries: 3 });
    const calmDone: number[] = [];

    const stormy = urls('storm.test', 8);
    const calm = urls('calm.test', 40);

    const pending = (async () => {
      const results = [];
      for await (const result of engine.fetchAll([...stormy, ...calm])) {
        if (result.url.includes('calm.test')) calmDone.push(Date.now());
        results.push(result);
      }
      return results;
    })();
    // The storm ends once the calm host is done: the stormy URLs then succeed on a later retry.
    const until = Date.now() + 10_000;
    while (calmDone.length < 40 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    storm = false;
    const results = await pending;

    expect(results.filter((result) => result.url.includes('calm.test')).every((result) => result.ok)).toBe(true);
    expect(results.filter((result) => result.url.includes('storm.test')).every((result) => result.ok)).toBe(true);
    // Paused as a host: after the first round of 429s (at most one per permit), nothing more was
    // dispatched to it within the Retry-After (a lower bound: a slow machine only lengthens it).
    const stormStarts = dispatches.dispatched('storm.test');
    const stormRestartedAt = stormStarts.find((at) => at - stormStarts[0]! >= 1000);
    expect(stormStarts.filter((at) => at - stormStarts[0]! < 1000).length).toBeLessThanOrEqual(4);
    // Every calm URL finished before the paused host was asked again: its waiting held no permit.
    expect(stormRestartedAt).toBeDefined();
    expect(Math.max(...calmDone)).toBeLessThanOrEqual(stormRestartedAt!);
    const stats = engine.hostStats;
    expect(stats.pushbacks).toBeGreaterThan(0);
    expect(stats.topHosts.map((entry) => entry.host)).toStrictEqual(['storm.test']);
  }, 20_000);

  test('without adaptive backoff a 429 only delays the URL that got it (as before)', async () => {
    server.route('storm.test', (_req, res) => res.writeHead(429, { 'retry-after': '0' }).end());
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 4, retries: 1, adaptiveBackoff: false, sleep: async () => {} });

    const results = await fetchAll(engine, urls('storm.test', 6));

    expect(results.every((result) => result.error?.code === ErrorCode.HTTP_STATUS && result.status === 429)).toBe(true);
    expect(engine.hostStats.pushbacks).toBe(0);
  });

  test('thousands of URLs waiting for one host start one after another, without deepening the stack', async () => {
    server.route('one.test', (_req, res) => res.end('ok'));
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 8, perHostConcurrency: 1 });

    const results = await fetchAll(engine, urls('one.test', 3000));

    expect(results).toHaveLength(3000);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(server.maxInFlight.get('one.test')).toBe(1);
  }, 60_000);

  test('the SQS consumer too: a batch of thousands of URLs for one limited host neither overflows the stack nor stalls', async () => {
    server.route('one.test', (_req, res) => res.end('ok'));
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 8, perHostConcurrency: 1 });
    const sink = new MemorySink();
    const event = sqsEvent(sqsRecord({ urls: urls('one.test', 5000).map((request) => request.url) }));

    const response = await processSqsBatch(event, { engine, sink });

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results).toHaveLength(5000);
    expect(sink.results.every((result) => result.ok)).toBe(true);
  }, 60_000);

  test('invalid host rules are refused when the engine is created', () => {
    expect(() => localEngine({ hostRules: [{ pattern: 'http://a.test/', rate: 1 }] })).toThrow('hostRules');
    expect(() => localEngine({ perHostRate: 0 })).toThrow('perHost');
  });
});
