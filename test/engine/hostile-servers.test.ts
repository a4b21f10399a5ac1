import { ErrorCode, type FetchResult } from '../../lib/index.ts';
import { closeEngines, fetchAllOf, localEngine } from '../support/engines.ts';
import { HOSTILE_ROUTES, STALLING } from '../support/hostile-routes.ts';
import { HostileServer } from '../support/hostile-server.ts';
import { routes, TestServer } from '../support/test-server.ts';

/** An attempt deadline no test waits for: only the URL's own limit can end these URLs. */
const NEVER = 600_000;

function byId(results: readonly FetchResult[]): Map<string, FetchResult> {
  return new Map(results.map((result) => [result.id!, result]));
}

describe('hostile servers: every URL ends, whatever the server does', () => {
  let hostile: HostileServer;
  let good: TestServer;

  beforeEach(async () => {
    // The same routes are met by the bundles that ship in hostile-servers-bundled.test.ts.
    hostile = await HostileServer.start(HOSTILE_ROUTES);
    good = await TestServer.start({ '/page': routes.text('fine') });
  });

  afterEach(async () => {
    await closeEngines();
    await hostile.close();
    await good.close();
  });

  test('a stalling, lying, protocol-switching origin mid-batch: its URLs end by their limit, other URLs keep finishing', async () => {
    const engine = localEngine({ timeoutMs: NEVER, urlTimeoutMs: 1_500, retries: 2, concurrency: 32 });
    // First in the list, so they reach a connection before the stalling URLs hold them all.
    const requests = [
      { url: hostile.url('/switch-protocols'), id: 'switch' },
      { url: hostile.url('/status-099'), id: '099' },
      ...Object.keys(STALLING).flatMap((path) => [1, 2].map((n) => ({ url: hostile.url(`${path}?n=${n}`), id: `${path}#${n}` }))),
      ...Array.from({ length: 40 }, (_, n) => ({ url: good.url(`/page?n=${n}`), id: `good#${n}` })),
    ];

    const results = byId(await fetchAllOf(engine, requests));

    expect([...results.keys()].sort()).toStrictEqual(requests.map((request) => request.id).sort());
    for (const [id, result] of results) {
      if (id.startsWith('good#')) expect(result).toMatchObject({ ok: true, status: 200 });
      else expect(result.error?.code).not.toBe(ErrorCode.INTERNAL);
    }
    for (const path of Object.keys(STALLING)) {
      for (const n of [1, 2]) {
        expect(results.get(`${path}#${n}`)!.error).toMatchObject({ code: ErrorCode.TIMEOUT, message: expect.stringMatching(/^URL exceeded its limit of 1500 ms in total/) });
      }
    }
    expect(results.get('switch')!.error?.code).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(results.get('099')!.error?.code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('a URL queued behind an origin\'s stalled connections ends by its limit, naming the wait', async () => {
    // Longer than the scheduler holds an origin's next URLs (a second), so they queue for its connection.
    const engine = localEngine({ timeoutMs: NEVER, urlTimeoutMs: 1_500, perOrigin: 1, retries: 0 });

    const results = byId(await fetchAllOf(engine, [1, 2, 3].map((n) => ({ url: hostile.url(`/stall?n=${n}`), id: String(n) }))));

    const messages = [...results.values()].map((result) => result.error?.message);
    expect(messages).toContain('URL exceeded its limit of 1500 ms in total (during its last attempt)');
    expect(messages).toContain('URL exceeded its limit of 1500 ms in total (waiting for a connection)');
    // The first URL's connection closes when it gives up; the next URL opens one, the last never gets one.
    expect(hostile.hitsOf('/stall')).toBe(2);
  });

  test('a URL waiting for its host\'s turn ends by its limit', async () => {
    // One request every 20 s to this host: the second URL would wait far longer than its limit.
    const engine = localEngine({ urlTimeoutMs: 800, perHostRate: 0.05, retries: 0 });

    const results = await fetchAllOf(engine, [1, 2].map((n) => ({ url: hostile.url(`/ok?n=${n}`) })));

    expect(results.map((result) => result.error?.message ?? 'ok').sort()).toStrictEqual([
      'URL exceeded its limit of 800 ms in total (waiting for its host)',
      'ok',
    ]);
    expect(hostile.hitsOf('/ok')).toBe(1);
  });

  test('a retry that could not start within the limit is not waited for: the URL ends with its last answer', async () => {
    const engine = localEngine({ urlTimeoutMs: 2_000, retries: 3, adaptiveBackoff: false });

    const result = await engine.fetch({ url: hostile.url('/retry-later') });

    expect(result).toMatchObject({ ok: false, status: 503, attempts: 1, error: { code: ErrorCode.HTTP_STATUS } });
    expect(hostile.hitsOf('/retry-later')).toBe(1);
  });

  test('an empty body is empty whatever its Content-Encoding, and a redirect with one is followed', async () => {
    const engine = localEngine({ retries: 0 });

    const results = await Promise.all(['/empty-gzip', '/empty-br', '/empty-deflate', '/redirect-empty-gzip'].map((path) => engine.fetch({ url: hostile.url(path) })));

    for (const result of results.slice(0, 3)) expect(result).toMatchObject({ ok: true, status: 200, bytes: 0, redirects: 0, error: null });
    expect(results[3]).toMatchObject({ ok: true, status: 200, redirects: 1, finalUrl: hostile.url('/ok') });
  });

  test('a redirect with an empty Location is not followed (it names the same URL)', async () => {
    const engine = localEngine({ retries: 0 });

    const result = await engine.fetch({ url: hostile.url('/empty-location') });

    expect(result).toMatchObject({ ok: false, status: 302, redirects: 0, error: { code: ErrorCode.HTTP_STATUS } });
    expect(hostile.hitsOf('/empty-location')).toBe(1);
  });
});

describe('hostile request headers', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/page': routes.text('fine') });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  const HOSTILE_HEADERS: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
    [{ 'x-a': 'a\r\nHost: evil' }, /header x-a has a line break/],
    [{ 'x-a\nb': 'v' }, /not an HTTP token/],
    [{ 'x:a': 'v' }, /not an HTTP token/],
    [{ '': 'v' }, /not an HTTP token/],
    [{ upgrade: 'websocket', connection: 'upgrade' }, /connection|upgrade/],
    [{ expect: '100-continue' }, /header expect is set by the engine/],
    [{ 'transfer-encoding': 'chunked' }, /header transfer-encoding is set by the engine/],
    [{ 'keep-alive': 'timeout=5' }, /header keep-alive is set by the engine/],
    [{ 'content-length': '-1' }, /content-length must be a non-negative integer/],
    [{ 'x-u': 'snowman \u2603' }, /beyond U\+00FF/],
    [{ 'x-nul': 'a\0b' }, /NUL/],
  ];

  test('each request with a header it cannot send ends INVALID_REQUEST naming it, and the origin\'s other URLs are fetched', async () => {
    // More refused requests than the origin has connections: undici, refusing them itself,
    // marked a connection busy for good with each, and the valid URLs after them waited for ever.
    const engine = localEngine({ perOrigin: 2 });
    const requests = [
      ...HOSTILE_HEADERS.map(([headers], n) => ({ url: server.url(`/page?bad=${n}`), id: `bad#${n}`, headers })),
      { url: server.url('/page?big'), id: 'big', headers: { 'x-big': 'a'.repeat(100_000) } },
      ...Array.from({ length: 10 }, (_, n) => ({ url: server.url(`/page?n=${n}`), id: `good#${n}`, headers: { connection: 'close', 'x-fine': 'yes' } })),
    ];

    const results = byId(await fetchAllOf(engine, requests));

    expect(results.size).toBe(requests.length);
    HOSTILE_HEADERS.forEach(([, message], n) => {
      expect(results.get(`bad#${n}`)).toMatchObject({ ok: false, attempts: 0, error: { code: ErrorCode.INVALID_REQUEST, message: expect.stringMatching(message) } });
    });
    expect(results.get('big')!.error?.code).not.toBe(ErrorCode.INTERNAL);
    for (let n = 0; n < 10; n += 1) expect(results.get(`good#${n}`)).toMatchObject({ ok: true, status: 200 });
  });
});
