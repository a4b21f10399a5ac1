import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { ErrorCode } from '../../lib/index.ts';
import { eventually } from '../support/eventually.ts';
import { closeEngines, localEngine, recordingSleep } from '../support/engines.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('timeouts and cancellation', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({
      '/hang': routes.hang(),
      '/drip': routes.drip(50),
      '/ok': routes.text('ok'),
    });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('a server that never answers ends as TIMEOUT after each retry', async () => {
    const engine = localEngine({ timeoutMs: 150, retries: 1, sleep: recordingSleep().sleep });

    const result = await engine.fetch({ url: server.url('/hang') });

    expect(result).toMatchObject({ ok: false, status: null, attempts: 2 });
    expect(result.error?.code).toBe(ErrorCode.TIMEOUT);
    expect(server.hitsOf('/hang')).toBe(2);
  });

  test('a server dripping one byte every 50 ms is cut off by the attempt deadline, not the idle timeout', async () => {
    const engine = localEngine({ timeoutMs: 300, bodyIdleTimeoutMs: 10_000, retries: 0 });

    const result = await engine.fetch({ url: server.url('/drip') });

    expect(result.error).toStrictEqual({ code: ErrorCode.TIMEOUT, message: 'attempt exceeded 300 ms' });
    expect(result.bytes).toBeGreaterThan(0);
  });

  test('headers that never come trip the headers timeout', async () => {
    const engine = localEngine({ headersTimeoutMs: 100, timeoutMs: 10_000, retries: 0 });

    const result = await engine.fetch({ url: server.url('/hang') });

    expect(result.error).toStrictEqual({ code: ErrorCode.TIMEOUT, message: 'response headers timed out (UND_ERR_HEADERS_TIMEOUT)' });
  });

  test('a TLS handshake that never completes ends as CONNECT_FAILED by the connect timeout', async () => {
    const silent: TcpServer = createTcpServer((socket: Socket) => socket.on('error', () => {})).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const port = (silent.address() as { port: number }).port;
      const engine = localEngine({ connectTimeoutMs: 150, retries: 0 });

      const result = await engine.fetch({ url: `https://127.0.0.1:${port}/` });

      expect(result.error?.code).toBe(ErrorCode.CONNECT_FAILED);
    } finally {
      silent.close();
    }
  });

  test('aborting the run ends fetches in flight as ABORTED and starts nothing new', async () => {
    const run = new AbortController();
    const engine = localEngine({ signal: run.signal, timeoutMs: 60_000 });

    const inFlight = engine.fetch({ url: server.url('/hang') });
    await eventually(() => server.hitsOf('/hang') > 0);
    run.abort();
    const aborted = await inFlight;
    const after = await engine.fetch({ url: server.url('/ok') });

    // Cut off by the deadline, the exchange is not an attempt: a continuation has every retry left.
    expect(aborted).toMatchObject({ ok: false, attempts: 0 });
    expect(aborted.error?.code).toBe(ErrorCode.ABORTED);
    expect(after).toMatchObject({ attempts: 0, error: { code: ErrorCode.ABORTED } });
    expect(server.hitsOf('/ok')).toBe(0);
  });

  test('a per-call signal aborts a backoff sleep, not only a socket', async () => {
    server.route('/down', routes.failThenSucceed(100, 503));
    const call = new AbortController();
    const engine = localEngine({ retries: 5, retryBaseDelayMs: 60_000, random: () => 0.99 });

    const pending = engine.fetch({ url: server.url('/down') }, call.signal);
    await eventually(() => server.hitsOf('/down') > 0);
    call.abort();
    const result = await pending;

    expect(result).toMatchObject({ attempts: 1, error: { code: ErrorCode.ABORTED } });
    expect(engine.inFlight).toBe(0);
  });
});
