import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine, recordingSleep } from '../support/engines.ts';
import { rawServer } from '../support/raw-server.ts';
import { routes, TestServer, type Route } from '../support/test-server.ts';

/*
 * One definition of an attempt: a request that could have ended the URL. A redirect hop being
 * followed is not one, nor is the free retry of a pooled socket found dead. Records, metrics and
 * continuations all count this way.
 */
/** Answers the first request on each connection (after `delayMs`), then kills it: a pooled socket that died idle. */
function servesEachSocketOnce(delayMs: number): Route {
  const served = new WeakSet<object>();
  return (req, res) => {
    if (served.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    served.add(req.socket);
    setTimeout(() => res.end('fresh'), delayMs);
  };
}

describe('attempts', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('redirect hops are not attempts', async () => {
    server.route('/moved', routes.redirect('/moved-again')).route('/moved-again', routes.redirect('/flaky'))
      .route('/flaky', routes.failThenSucceed(1, 503));
    const engine = localEngine({ retries: 1, sleep: recordingSleep().sleep });

    const result = await engine.fetch({ url: server.url('/moved') });

    expect(result).toMatchObject({ ok: true, status: 200, redirects: 2, attempts: 2 });
  });

  test('a URL cut off after its redirects still has every retry left in a later invocation', async () => {
    server.route('/a', routes.redirect('/b')).route('/b', routes.redirect('/c')).route('/c', routes.redirect('/d'))
      .route('/d', routes.failThenSucceed(2, 503));
    const engine = localEngine({ retries: 2, sleep: recordingSleep().sleep });

    // As a continuation carries it: nothing spent yet although four requests were made before.
    const result = await engine.fetch({ url: server.url('/a'), priorAttempts: 0 });

    expect(result).toMatchObject({ ok: true, redirects: 3, attempts: 3 });
  });

  test('the free retry of a dead pooled socket is not an attempt', async () => {
    server.route('/stale', servesEachSocketOnce(0));
    const { sleep, delays } = recordingSleep();
    const engine = localEngine({ retries: 0, perOrigin: 1, sleep });

    await engine.fetch({ url: server.url('/stale') });
    const second = await engine.fetch({ url: server.url('/stale') });

    expect(second).toMatchObject({ ok: true, attempts: 1, error: null });
    expect(server.connections).toBe(2);
    expect(delays).toStrictEqual([]);
  });

  test('with --retries 0 the free retry takes a new connection, not another dead pooled one', async () => {
    // Two keep-alive sockets served once each, then both die while idle.
    server.route('/stale', servesEachSocketOnce(20));
    const engine = localEngine({ retries: 0, perOrigin: 2, sleep: recordingSleep().sleep });
    await Promise.all([engine.fetch({ url: server.url('/stale') }), engine.fetch({ url: server.url('/stale') })]);
    expect(server.connections).toBe(2);

    const results = await Promise.all([engine.fetch({ url: server.url('/stale') }), engine.fetch({ url: server.url('/stale') })]);

    expect(results).toMatchObject([{ ok: true, attempts: 1 }, { ok: true, attempts: 1 }]);
  });

  test('a reset on every attempt spends the retry budget, plus one free retry', async () => {
    server.route('/reset', routes.reset());
    const engine = localEngine({ retries: 1, sleep: recordingSleep().sleep });

    const result = await engine.fetch({ url: server.url('/reset') });

    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error?.code).toBe(ErrorCode.CONNECTION_RESET);
    expect(server.hitsOf('/reset')).toBe(3);
  });
});

describe('informational (1xx) responses', () => {
  afterEach(closeEngines);

  test('a 103 Early Hints before the final response is skipped (RFC 9110 §15.2)', async () => {
    const origin = await rawServer('HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n'
      + 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nfinal');
    const { port } = origin.address() as { port: number };
    try {
      const result = await localEngine({ bodyMode: 'hash' }).fetch({ url: `http://127.0.0.1:${port}/` });
      expect(result).toMatchObject({ ok: true, status: 200, bytes: 5, contentType: 'text/plain', error: null });
    } finally {
      origin.close();
    }
  });

  test('an unsolicited 100 Continue, which undici cannot parse, is a PROTOCOL_ERROR and not retried', async () => {
    let connections = 0;
    const origin = await rawServer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    origin.on('connection', () => { connections += 1; });
    const { port } = origin.address() as { port: number };
    try {
      const result = await localEngine({ retries: 2, sleep: recordingSleep().sleep }).fetch({ url: `http://127.0.0.1:${port}/` });
      expect(result.error?.code).toBe(ErrorCode.PROTOCOL_ERROR);
      expect(result.error?.message).toMatch(/100 Continue/);
      expect(result.attempts).toBe(1);
      expect(connections).toBe(1);
    } finally {
      origin.close();
    }
  });
});

describe('fetchAll', () => {
  let server: TestServer;

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('rejects with the error of a source that throws, after the fetches in flight end', async () => {
    server = await TestServer.start({ '/slow': routes.slow(30) });
    const engine = localEngine({ concurrency: 2 });
    async function* source() {
      yield { url: server.url('/slow') };
      yield { url: server.url('/slow') };
      throw new Error('input went away');
    }
    const seen: unknown[] = [];

    await expect((async () => {
      for await (const result of engine.fetchAll(source())) seen.push(result);
    })()).rejects.toThrow('input went away');
    expect(engine.inFlight).toBe(0);
  });
});
