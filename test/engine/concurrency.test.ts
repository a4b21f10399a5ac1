import type { FetchRequest } from '../../lib/index.ts';
import { WINDOW_URLS } from '../../lib/engine/scheduler.ts';
import { eventually } from '../support/eventually.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('bounded concurrency and connection pooling', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/slow': routes.slow(20), '/fast': (_req, res) => res.end('f') });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('never has more requests in flight than `concurrency`, and returns one result per URL', async () => {
    const engine = localEngine({ concurrency: 5, perOrigin: 50 });
    const requests = Array.from({ length: 60 }, (_, i) => ({ url: server.url(`/slow?i=${i}`), id: String(i) }));

    const results = [];
    for await (const result of engine.fetchAll(requests)) results.push(result);

    expect(server.maxInFlight).toBeLessThanOrEqual(5);
    expect(server.maxInFlight).toBeGreaterThan(1);
    expect(results.map((r) => Number(r.id)).sort((a, b) => a - b)).toStrictEqual(requests.map((_, i) => i));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  test('opens at most `perOrigin` connections to one origin and reuses them (keep-alive)', async () => {
    const engine = localEngine({ concurrency: 20, perOrigin: 3 });
    const requests = Array.from({ length: 90 }, () => ({ url: server.url('/slow') }));

    let count = 0;
    for await (const _ of engine.fetchAll(requests)) count += 1;

    expect(count).toBe(90);
    expect(server.maxOpenConnections).toBeLessThanOrEqual(3);
    expect(server.connections).toBeLessThanOrEqual(3);
  });

  test('reads input ahead only as far as its window: never more than the window and `concurrency` ahead of the results', async () => {
    const engine = localEngine({ concurrency: 8 });
    const length = WINDOW_URLS + 1_000;
    let pulled = 0;
    let yielded = 0;
    let maxAhead = 0;
    async function* generate(): AsyncGenerator<FetchRequest> {
      for (let i = 0; i < length; i++) {
        pulled += 1;
        maxAhead = Math.max(maxAhead, pulled - yielded);
        yield { url: server.url('/fast') };
      }
    }

    for await (const _ of engine.fetchAll(generate())) yielded += 1;

    expect(yielded).toBe(length);
    expect(maxAhead).toBeLessThanOrEqual(WINDOW_URLS + 8 + 1);
  });

  test('concurrent callers share one global limit', async () => {
    const engine = localEngine({ concurrency: 4, perOrigin: 50 });

    const all = await Promise.all(Array.from({ length: 3 }, () =>
      Promise.all(Array.from({ length: 10 }, () => engine.fetch({ url: server.url('/slow') })))));

    expect(all.flat()).toHaveLength(30);
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
  });

  test('stopping iteration early waits for fetches in flight (nothing leaks)', async () => {
    const engine = localEngine({ concurrency: 6 });
    const requests = Array.from({ length: 100 }, () => ({ url: server.url('/slow') }));

    for await (const _ of engine.fetchAll(requests)) break;

    expect(engine.inFlight).toBe(0);
    expect(server.hitsOf('/slow')).toBeLessThanOrEqual(12);
  });

  test('several callers can wait for the engine to drain at once', async () => {
    const engine = localEngine();
    const pending = engine.fetch({ url: server.url('/slow') });

    await Promise.all([engine.drain(), engine.drain()]);

    expect(engine.inFlight).toBe(0);
    expect((await pending).ok).toBe(true);
  });

  test('close() waits for in-flight work, then closes pooled sockets', async () => {
    const engine = localEngine();
    const pending = engine.fetch({ url: server.url('/slow') });

    await engine.close();

    expect((await pending).ok).toBe(true);
    expect(await eventually(() => server.sockets.size === 0)).toBe(true);
  });
});
