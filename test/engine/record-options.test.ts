import { once } from 'node:events';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { TestServer } from '../support/test-server.ts';

const DAY_MS = 86_400_000;
const loopbackResolver = async () => [{ address: '127.0.0.1', family: 4 }];

/** Microseconds, so sums of phases compare exactly (the record rounds each to the microsecond). */
const micros = (ms: number) => Math.round(ms * 1000);

describe('what a record can tell: statuses, HEAD, redirects, headers, truncation, content types', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      '/missing': (_req, res) => {
        res.statusCode = 404;
        res.end('gone');
      },
      '/unavailable': (_req, res) => {
        res.statusCode = 503;
        res.end('busy');
      },
      '/no-head': (req, res) => {
        res.statusCode = req.method === 'HEAD' ? 405 : 200;
        res.setHeader('content-type', 'text/plain');
        res.end(req.method === 'HEAD' ? undefined : 'got it');
      },
      '/head-ok': (req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(req.method === 'HEAD' ? undefined : '<p>page</p>');
      },
      '/hop1': (_req, res) => {
        res.writeHead(301, { location: '/hop2' });
        res.end();
      },
      '/hop2': (_req, res) => {
        res.writeHead(302, { location: '/page' });
        res.end();
      },
      '/loop': (_req, res) => {
        res.writeHead(307, { location: '/loop' });
        res.end();
      },
      '/page': (_req, res) => {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.setHeader('cache-control', 'max-age=60');
        res.setHeader('x-robots-tag', 'noindex');
        res.appendHeader('set-cookie', 'a=1');
        res.appendHeader('set-cookie', 'b=2');
        res.end('<html>hello</html>');
      },
      '/big': (_req, res) => {
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-length', 1_000_000);
        res.end(Buffer.alloc(1_000_000, 'x'));
      },
      '/json': (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"a":1}');
      },
    });
  });

  afterEach(closeEngines);
  afterAll(() => server.close());

  test('a 404 is OK when the run accepts it, and any other status still fails', async () => {
    const engine = localEngine({ okStatus: '200-399,404' });

    const missing = await engine.fetch({ url: server.url('/missing') });
    const unavailable = await engine.fetch({ url: server.url('/unavailable') });

    expect(missing).toMatchObject({ ok: true, status: 404, error: null });
    expect(unavailable).toMatchObject({ ok: false, status: 503, error: { code: ErrorCode.HTTP_STATUS } });
  });

  test('a request can carry its own OK statuses; an accepted 503 is an answer, not retried', async () => {
    const engine = localEngine({ retries: 2 });
    const before = server.hits.get('/unavailable') ?? 0;

    const accepted = await engine.fetch({ url: server.url('/unavailable'), okStatus: '503' });
    const invalid = await engine.fetch({ url: server.url('/missing'), okStatus: '200-abc' });

    expect(accepted).toMatchObject({ ok: true, status: 503, attempts: 1 });
    expect(server.hits.get('/unavailable')).toBe(before + 1);
    expect(invalid).toMatchObject({ ok: false, status: null, error: { code: ErrorCode.INVALID_REQUEST } });
    expect(invalid.error?.message).toContain("'200-abc'");
  });

  test('an OK-status list that is not one is refused when the engine is created', () => {
    expect(() => localEngine({ okStatus: '2xx' })).toThrow("Expected `okStatus` to be statuses from 100 to 999 and ranges such as 200-399, separated by commas; '2xx' is not one");
  });

  test('HEAD refused with 405 is asked again with GET, once, and the record says so', async () => {
    const engine = localEngine({ method: 'HEAD', headFallback: true });

    const refused = await engine.fetch({ url: server.url('/no-head') });
    const accepted = await engine.fetch({ url: server.url('/head-ok') });

    expect(refused).toMatchObject({ ok: true, status: 200, bytes: 6, headFallback: true, attempts: 2 });
    expect(accepted).toMatchObject({ ok: true, status: 200, bytes: 0, attempts: 1 });
    expect(accepted.headFallback).toBeUndefined();
  });

  test('without head fallback a refused HEAD is the status the server gave', async () => {
    const engine = localEngine({ method: 'HEAD' });

    const refused = await engine.fetch({ url: server.url('/no-head') });
    const perLine = await engine.fetch({ url: server.url('/no-head'), headFallback: true });

    expect(refused).toMatchObject({ ok: false, status: 405, attempts: 1 });
    expect(perLine).toMatchObject({ ok: true, status: 200, headFallback: true });
  });

  test('the redirect chain lists every hop with its status; a loop shows the hops it took', async () => {
    const engine = localEngine({ redirectChain: true, maxRedirects: 3 });

    const followed = await engine.fetch({ url: server.url('/hop1') });
    const loop = await engine.fetch({ url: server.url('/loop') });
    const direct = await engine.fetch({ url: server.url('/page') });

    expect(followed).toMatchObject({ ok: true, status: 200, redirects: 2, finalUrl: server.url('/page') });
    expect(followed.redirectChain).toEqual([{ url: server.url('/hop1'), status: 301 }, { url: server.url('/hop2'), status: 302 }]);
    expect(loop).toMatchObject({ ok: false, error: { code: ErrorCode.TOO_MANY_REDIRECTS } });
    expect(loop.redirectChain).toHaveLength(4);
    expect(direct.redirectChain).toBeUndefined();
  });

  test('a redirect not followed is OK when its status is accepted', async () => {
    const engine = localEngine({ maxRedirects: 0, okStatus: '200-399' });

    const record = await engine.fetch({ url: server.url('/hop1') });

    expect(record).toMatchObject({ ok: true, status: 301, redirects: 0 });
  });

  test('the headers asked for are kept, by lowercase name, repeated ones joined', async () => {
    const engine = localEngine({ keepHeaders: ['Cache-Control', 'x-robots-tag', 'set-cookie', 'content-language'] });

    const record = await engine.fetch({ url: server.url('/page') });

    expect(record.headers).toEqual({ 'cache-control': 'max-age=60', 'x-robots-tag': 'noindex', 'set-cookie': 'a=1, b=2' });
  });

  test('a body past the truncation point is cut there and the URL is OK', async () => {
    const engine = localEngine({ truncateAt: 1000, bodyMode: 'keep' });

    const record = await engine.fetch({ url: server.url('/big') });
    const small = await engine.fetch({ url: server.url('/json') });

    expect(record).toMatchObject({ ok: true, status: 200, bytes: 1000, truncated: true, error: null });
    expect(Buffer.from(record.body!, 'base64')).toEqual(Buffer.alloc(1000, 'x'));
    expect(small).toMatchObject({ ok: true, bytes: 7 });
    expect(small.truncated).toBeUndefined();
  });

  test('without truncation the same body is too large', async () => {
    const record = await localEngine({ maxBodyBytes: 1000 }).fetch({ url: server.url('/big') });

    expect(record).toMatchObject({ ok: false, error: { code: ErrorCode.BODY_TOO_LARGE } });
  });

  test('a type the run does not accept ends UNACCEPTED_TYPE with its status; failures keep their own code', async () => {
    const engine = localEngine({ acceptTypes: ['text/*', 'application/xhtml+xml'] });

    const html = await engine.fetch({ url: server.url('/page') });
    const json = await engine.fetch({ url: server.url('/json') });
    const missing = await engine.fetch({ url: server.url('/missing') });

    expect(html).toMatchObject({ ok: true, status: 200 });
    expect(json).toMatchObject({ ok: false, status: 200, bytes: 0, contentType: 'application/json', error: { code: ErrorCode.UNACCEPTED_TYPE } });
    expect(missing).toMatchObject({ ok: false, status: 404, error: { code: ErrorCode.HTTP_STATUS } });
  });

  test('timings: phases of a new connection add up to no more than the total; a reused one skips them', async () => {
    const engine = localEngine({ timings: true, perOrigin: 1 });

    const first = await engine.fetch({ url: server.url('/page') });
    const second = await engine.fetch({ url: server.url('/page') });

    for (const record of [first, second]) {
      const t = record.timings!;
      expect(micros(t.dns) + micros(t.connect) + micros(t.tls) + micros(t.firstByte)).toBeLessThanOrEqual(micros(t.total));
      expect(t.firstByte).toBeGreaterThan(0);
      expect(t.tls).toBe(0);
    }
    expect(first.timings!.connect).toBeGreaterThan(0);
    expect(second.timings).toMatchObject({ dns: 0, connect: 0, tls: 0 });
  });

  test('records carry none of these unless asked', async () => {
    const record = await localEngine().fetch({ url: server.url('/hop1') });

    expect(Object.keys(record).sort()).toEqual(['attempts', 'bytes', 'contentType', 'error', 'finalUrl', 'latencyMs', 'ok', 'redirects', 'status', 'url']);
  });
});

describe('TLS facts: a certificate that expires in 10 days', () => {
  let https: Server;
  let cert: string;
  let port: number;

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'expiring.batchfetch.test' }], {
      notAfterDate: new Date(Date.now() + 10 * DAY_MS + 60_000),
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'expiring.batchfetch.test' }] }],
    });
    cert = pems.cert;
    https = createHttpsServer({ key: pems.private, cert }, (req, res) => {
      // /close: every request on a new connection, so the second one can resume the session.
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end('secure');
    });
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    port = (https.address() as AddressInfo).port;
  });

  afterEach(closeEngines);
  afterAll(() => https.close());

  test('the record says when the certificate expires, who issued it, the protocol and resumption', async () => {
    const engine = localEngine({ tlsInfo: true, timings: true, ca: cert, dnsResolve: loopbackResolver });
    const url = `https://expiring.batchfetch.test:${port}/`;

    const record = await engine.fetch({ url });

    expect(record).toMatchObject({ ok: true, status: 200 });
    expect(record.tls).toMatchObject({
      daysLeft: 10,
      issuer: 'expiring.batchfetch.test',
      subject: 'expiring.batchfetch.test',
      resumed: false,
    });
    expect(record.tls!.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(Date.parse(record.tls!.validTo) - Date.now()).toBeGreaterThan(10 * DAY_MS);
    const t = record.timings!;
    expect(t.tls).toBeGreaterThan(0);
    expect(micros(t.dns) + micros(t.connect) + micros(t.tls) + micros(t.firstByte)).toBeLessThanOrEqual(micros(t.total));
  });

  test('a later connection to the same host resumes the TLS session, and says so', async () => {
    const engine = localEngine({ tlsInfo: true, ca: cert, dnsResolve: loopbackResolver });
    const url = `https://expiring.batchfetch.test:${port}/close`;

    const first = await engine.fetch({ url });
    const second = await engine.fetch({ url });

    expect(first.tls).toMatchObject({ resumed: false, daysLeft: 10 });
    expect(second.tls).toMatchObject({ resumed: true, daysLeft: 10 });
  });
});
