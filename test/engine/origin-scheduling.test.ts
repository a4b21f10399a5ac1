import { closeEngines, fetchAllOf, localEngine } from '../support/engines.ts';
import { HostsServer, loopbackNames } from '../support/hosts-server.ts';

/*
 * Origin-aware scheduling, counted where it costs: TCP connections accepted by a real server that
 * answers for many host names (each its own origin, mapped to 127.0.0.1 by the resolver hook).
 */
describe('origin-aware scheduling', () => {
  let server: HostsServer;

  beforeEach(async () => {
    server = await HostsServer.start();
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  /** `perOrigin` URLs of each of `origins` hosts, shuffled (a fixed seed: the same list every run). */
  function shuffledList(origins: number, perOrigin: number): Array<{ url: string }> {
    const urls = Array.from({ length: origins * perOrigin }, (_, i) => ({ url: server.url(`o${i % origins}.test`, `/?i=${i}`) }));
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let i = urls.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [urls[i], urls[j]] = [urls[j]!, urls[i]!];
    }
    return urls;
  }

  test('a shuffled list over more origins than the connection budget opens about one connection per origin, not one per URL', async () => {
    const origins = 60;
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 16, perOrigin: 6, maxSockets: 24 });

    const results = await fetchAllOf(engine, shuffledList(origins, 10));

    expect(results).toHaveLength(600);
    expect(results.every((result) => result.ok)).toBe(true);
    // The engine's own count (the run summary's connectionsOpened) is the server's.
    expect(engine.socketStats.opened).toBe(server.connections);
    // Read in list order, 24 sockets cycling through 60 origins would open one for nearly every URL.
    expect(server.connections).toBeLessThanOrEqual(2 * origins);
    expect(server.connectionsPerHost.size).toBe(origins);
  });

  test('one origin that is all the work left still gets its `perOrigin` parallel connections', async () => {
    server.route('only.test', (_req, res) => { setTimeout(() => res.end('ok'), 20); });
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 16, perOrigin: 4 });

    const results = await fetchAllOf(engine, Array.from({ length: 40 }, (_, i) => ({ url: server.url('only.test', `/?i=${i}`) })));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(server.maxInFlight.get('only.test')).toBe(4);
    expect(server.connections).toBe(4);
  });

  test('a host held back by its limit and pushback never stalls the other origins of the list', async () => {
    let refusals = 2;
    server.route('slow.test', (_req, res) => {
      if (refusals-- > 0) res.writeHead(503, { 'retry-after': '1' }).end();
      else setTimeout(() => res.end('ok'), 100);
    });
    const engine = localEngine({ dnsResolve: loopbackNames, concurrency: 4, retries: 3, hostRules: [{ pattern: 'slow.test', concurrency: 1 }] });
    const slow = Array.from({ length: 5 }, (_, i) => ({ url: server.url('slow.test', `/?i=${i}`), id: 'slow' }));
    const others = Array.from({ length: 200 }, (_, i) => ({ url: server.url(`o${i % 20}.test`, `/?i=${i}`), id: 'other' }));

    const results = await fetchAllOf(engine, [...slow, ...others]);

    expect(results.every((result) => result.ok)).toBe(true);
    // The slow host's first URL waits a second for its Retry-After, the rest a tenth each after
    // it, one at a time: every other origin's URL is done before the slow host's last one.
    expect(results.at(-1)!.id).toBe('slow');
    expect(results.slice(0, 200).filter((result) => result.id === 'other')).toHaveLength(200);
  });
});
