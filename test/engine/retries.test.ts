import { ErrorCode } from '../../lib/index.ts';
import { backoffDelay, parseRetryAfter } from '../../lib/engine/retry-policy.ts';
import { closeEngines, localEngine, recordingSleep } from '../support/engines.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('retries', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test.each([500, 502, 503, 504, 408, 429])('retries a %i and succeeds on the third attempt', async (status) => {
    server.route('/flaky', routes.failThenSucceed(2, status));
    const { sleep, delays } = recordingSleep();
    const engine = localEngine({ retries: 2, sleep });

    const result = await engine.fetch({ url: server.url('/flaky') });

    expect(result).toMatchObject({ ok: true, status: 200, attempts: 3, error: null });
    expect(server.hitsOf('/flaky')).toBe(3);
    expect(delays).toHaveLength(2);
  });

  test('gives up after the retry budget with the last status as HTTP_STATUS', async () => {
    server.route('/down', routes.failThenSucceed(100, 503));
    const engine = localEngine({ retries: 3, sleep: recordingSleep().sleep });

    const result = await engine.fetch({ url: server.url('/down') });

    expect(result).toMatchObject({ ok: false, status: 503, attempts: 4 });
    expect(result.error).toStrictEqual({ code: ErrorCode.HTTP_STATUS, message: 'HTTP status 503' });
  });

  test.each([400, 401, 403, 404, 410, 501])('never retries a %i', async (status) => {
    server.route('/final', routes.failThenSucceed(100, status));
    const engine = localEngine({ retries: 3 });

    const result = await engine.fetch({ url: server.url('/final') });

    expect(result).toMatchObject({ ok: false, status, attempts: 1 });
    expect(server.hitsOf('/final')).toBe(1);
  });

  test('never retries a non-idempotent POST', async () => {
    server.route('/post', routes.failThenSucceed(1, 503));
    const engine = localEngine({ retries: 3 });

    const result = await engine.fetch({ url: server.url('/post'), method: 'POST', body: '{}' });

    expect(result).toMatchObject({ status: 503, attempts: 1 });
  });

  test('honours Retry-After in seconds: the backoff is at least the server-given delay', async () => {
    server.route('/limited', routes.failThenSucceed(1, 429, { 'retry-after': '2' }));
    const { sleep, delays } = recordingSleep();
    const engine = localEngine({ sleep, retryBaseDelayMs: 10 });

    const result = await engine.fetch({ url: server.url('/limited') });

    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(delays).toStrictEqual([2000]);
  });

  test('a Retry-After beyond the cap ends the URL at once instead of waiting', async () => {
    server.route('/later', routes.failThenSucceed(1, 503, { 'retry-after': '3600' }));
    const { sleep, delays } = recordingSleep();
    const engine = localEngine({ sleep, maxRetryAfterMs: 30_000 });

    const result = await engine.fetch({ url: server.url('/later') });

    expect(result).toMatchObject({ ok: false, status: 503, attempts: 1 });
    expect(result.error?.message).toBe('HTTP status 503; Retry-After of 3600 s exceeds the cap');
    expect(delays).toStrictEqual([]);
  });

  test('retries a refused connection, then reports CONNECT_FAILED', async () => {
    const port = server.port;
    await server.close();
    const { sleep, delays } = recordingSleep();
    const engine = localEngine({ retries: 2, sleep });

    const result = await engine.fetch({ url: `http://127.0.0.1:${port}/` });

    expect(result).toMatchObject({ ok: false, status: null, attempts: 3 });
    expect(result.error).toStrictEqual({ code: ErrorCode.CONNECT_FAILED, message: 'connection refused (ECONNREFUSED)' });
    expect(delays).toHaveLength(2);
    server = await TestServer.start();
  });

  test('counts attempts made by earlier invocations against the budget', async () => {
    server.route('/down', routes.failThenSucceed(100, 503));
    const engine = localEngine({ retries: 2, sleep: recordingSleep().sleep });

    const result = await engine.fetch({ url: server.url('/down'), priorAttempts: 2 });

    expect(result).toMatchObject({ status: 503, attempts: 3 });
    expect(server.hitsOf('/down')).toBe(1);
  });
});

describe('retry schedule', () => {
  test('full jitter stays below the exponential ceiling and the cap', () => {
    const top = () => 0.999_999;
    expect([0, 1, 2, 3, 4, 10, 40].map((retry) => backoffDelay(retry, 100, 1_000, top)))
      .toStrictEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoffDelay(5, 100, 1_000, () => 0)).toBe(0);
  });

  test('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  test('a Retry-After past the longest timer (10^26 s, a date in year 9999) is clamped to it, never handed to a timer as is', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('100000000000000000000000000', now)).toBe(2 ** 31 - 1);
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(2 ** 31 - 1);
  });
});
