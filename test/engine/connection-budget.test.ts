import type { FetchRequest, FetchResult } from '../../lib/index.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { fetchUnderDescriptorLimit } from '../support/fd-limited-child.ts';
import { routes, TestServer } from '../support/test-server.ts';

/** Every `oN.test` host name resolves to the loopback server. */
const loopbackResolver = async () => [{ address: '127.0.0.1', family: 4 }];

async function fetchAllOf(engine: ReturnType<typeof localEngine>, requests: FetchRequest[]): Promise<FetchResult[]> {
  const results: FetchResult[] = [];
  for await (const result of engine.fetchAll(requests)) results.push(result);
  return results;
}

describe('the connection budget (sockets open across all origins)', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/slow': routes.slow(10), '/fast': (_req, res) => res.end('f') });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('idle sockets of other origins are closed, least recently used first, to stay within maxSockets', async () => {
    const engine = localEngine({ concurrency: 4, maxSockets: 4, dnsResolve: loopbackResolver });
    const requests = Array.from({ length: 40 }, (_, i) => ({ url: `http://o${i}.test:${server.port}/fast` }));

    const results = await fetchAllOf(engine, requests);

    expect(results).toHaveLength(40);
    expect(results.filter((r) => !r.ok)).toStrictEqual([]);
    expect(engine.socketStats.peak).toBeLessThanOrEqual(4);
    expect(engine.socketStats.evicted).toBeGreaterThanOrEqual(40 - 4);
    expect(server.connections).toBe(40);
  });

  test('the least recently used socket goes first: an origin in steady use keeps its connection', async () => {
    const engine = localEngine({ concurrency: 1, maxSockets: 2, dnsResolve: loopbackResolver });
    const hot = `http://hot.test:${server.port}/fast`;
    const requests = Array.from({ length: 20 }, (_, i) => [{ url: hot }, { url: `http://o${i}.test:${server.port}/fast` }]).flat();

    const results = await fetchAllOf(engine, requests);

    expect(results.every((r) => r.ok)).toBe(true);
    // One connection for the hot origin for the whole run, one per cold origin.
    expect(server.connections).toBe(21);
  });

  test('a request that finds every socket busy waits for one instead of failing', async () => {
    const engine = localEngine({ concurrency: 3, maxSockets: 3, perOrigin: 3, dnsResolve: loopbackResolver });
    const requests = Array.from({ length: 30 }, (_, i) => ({ url: `http://o${i % 5}.test:${server.port}/slow?i=${i}` }));

    const results = await fetchAllOf(engine, requests);

    expect(results.filter((r) => !r.ok)).toStrictEqual([]);
    expect(results.every((r) => r.attempts === 1)).toBe(true);
    expect(engine.socketStats.waited).toBeGreaterThan(0);
    expect(engine.socketStats.peak).toBeLessThanOrEqual(3);
  });

  test('state follows the budget, not the origins seen: pools alive stay within maxSockets + concurrency', async () => {
    const engine = localEngine({ concurrency: 8, maxSockets: 8, dnsResolve: loopbackResolver });
    const requests = Array.from({ length: 300 }, (_, i) => ({ url: `http://o${i % 100}.test:${server.port}/fast?i=${i}` }));
    // The pools alive, sampled while each request is being served (when the most are in use)
    // and as each result arrives: the peak, not what is left after the run.
    let peakPools = 0;
    const sample = () => { peakPools = Math.max(peakPools, engine.socketStats.pools); };
    server.route('/fast', (_req, res) => { sample(); res.end('f'); });

    const results: FetchResult[] = [];
    for await (const result of engine.fetchAll(requests)) {
      sample();
      results.push(result);
    }

    expect(results.filter((r) => !r.ok)).toStrictEqual([]);
    // A pool is kept while it has a socket (at most maxSockets) or a request waiting for one.
    expect(peakPools).toBeGreaterThan(0);
    expect(peakPools).toBeLessThanOrEqual(8 + 8);
  });

  test('concurrency above the budget is refused at once, naming both values', () => {
    expect(() => localEngine({ concurrency: 100, maxSockets: 50 }))
      .toThrow('Expected `concurrency` to be an integer from 1 to 50 (every request in flight holds a socket, and the connection budget `maxSockets` is 50), got `100` (number)');
  });

  test('the default budget comes from the open-file limit, and a concurrency above it names both', async () => {
    const report = await fetchUnderDescriptorLimit(300, { port: server.port, origins: 1, urlsPerOrigin: 1, concurrency: 1 });
    expect(report.descriptorLimit).toBe(300);
    expect(report.maxSockets).toBe(172);
    await expect(fetchUnderDescriptorLimit(300, { port: server.port, origins: 1, urlsPerOrigin: 1, concurrency: 200 }))
      .rejects.toThrow('Expected `concurrency` to be an integer from 1 to 172 (every request in flight holds a socket, and the connection budget `maxSockets` is 172: the open-file limit 300 less a reserve), got `200`');
  });
});

describe('many origins under a low descriptor limit (child processes with ulimit -n)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({ '/slow': routes.slow(20) });
  });

  afterAll(async () => {
    await server.close();
  });

  test('1,200 URLs over 600 origins under ulimit -n 256 all end OK, with open sockets within the budget', async () => {
    const report = await fetchUnderDescriptorLimit(256, { port: server.port, origins: 600, urlsPerOrigin: 2, concurrency: 128 });

    expect(report.byCode).toStrictEqual({ OK: 1_200 });
    expect(report.maxSockets).toBe(128);
    expect(report.stats.peak).toBeLessThanOrEqual(128);
    // Independent of the budget's own count: socket descriptors seen in /proc/self/fd.
    expect(report.peakSockets).toBeLessThanOrEqual(128);
    expect(report.peakFds).toBeLessThan(256);
    expect(report.stats.evicted).toBeGreaterThan(0);
  });

  test('descriptors taken by something else (EMFILE) are back-pressure: every URL still ends OK, no retry spent', async () => {
    // The budget says 128, but only 40 descriptors are left free: connects hit EMFILE.
    const report = await fetchUnderDescriptorLimit(256, {
      port: server.port, origins: 200, urlsPerOrigin: 2, concurrency: 100, maxSockets: 128, leaveFree: 40,
    });

    expect(report.byCode).toStrictEqual({ OK: 400 });
    expect(report.stats.exhausted).toBeGreaterThan(0);
  });

  test('a shortage that outlasts the attempt deadline ends RESOURCE_EXHAUSTED, never INTERNAL', async () => {
    const report = await fetchUnderDescriptorLimit(256, {
      port: server.port, origins: 20, urlsPerOrigin: 1, concurrency: 10, maxSockets: 128, leaveFree: 0, timeoutMs: 300,
    });

    expect(report.byCode).toStrictEqual({ RESOURCE_EXHAUSTED: 20 });
  });
});

describe('default concurrency', () => {
  afterEach(async () => {
    await closeEngines();
  });

  test('is 256, or 64 when bodies are kept (each may hold maxBodyBytes), and never above the budget', () => {
    // An explicit budget, so the test does not depend on this machine's `ulimit -n`.
    expect(localEngine({ maxSockets: 1_000 }).options.concurrency).toBe(256);
    expect(localEngine({ maxSockets: 1_000, bodyMode: 'keep' }).options.concurrency).toBe(64);
    expect(localEngine({ maxSockets: 100 }).options.concurrency).toBe(100);
  });
});
