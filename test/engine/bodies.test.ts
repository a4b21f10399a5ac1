import { createHash } from 'node:crypto';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine, recordingSleep } from '../support/engines.ts';
import { routes, TestServer } from '../support/test-server.ts';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('response bodies', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('hash mode returns the sha256 of the body; keep mode the body itself', async () => {
    server.route('/page', routes.text('hello world'));
    const hashed = await localEngine({ bodyMode: 'hash' }).fetch({ url: server.url('/page') });
    const kept = await localEngine({ bodyMode: 'keep' }).fetch({ url: server.url('/page') });
    const discarded = await localEngine().fetch({ url: server.url('/page') });

    expect(hashed).toMatchObject({ bytes: 11, sha256: sha256('hello world'), contentType: 'text/plain' });
    expect(hashed).not.toHaveProperty('body');
    expect(kept).toMatchObject({ sha256: sha256('hello world'), body: Buffer.from('hello world').toString('base64') });
    expect(discarded).toMatchObject({ bytes: 11 });
    expect(discarded).not.toHaveProperty('sha256');
  });

  test.each([
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
  ] as const)('decodes a %s body and caps and hashes the decoded bytes', async (encoding, compress) => {
    const text = 'batchfetch '.repeat(1000);
    server.route('/z', routes.encoded(compress(Buffer.from(text)), encoding));

    const result = await localEngine({ bodyMode: 'hash' }).fetch({ url: server.url('/z') });

    expect(result).toMatchObject({ ok: true, bytes: text.length, sha256: sha256(text) });
    expect(server.requestHeaders[0]?.['accept-encoding']).toBe('gzip, deflate, br');
  });

  test('a gzip bomb is stopped at the decoded cap, not after inflating it all', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    server.route('/bomb', routes.encoded(bomb, 'gzip'));
    const engine = localEngine({ maxBodyBytes: 1024 * 1024, retries: 2 });

    const result = await engine.fetch({ url: server.url('/bomb') });

    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(result).toMatchObject({ ok: false, status: 200, attempts: 1 }); // the server answered: its status stays
    expect(result.error).toStrictEqual({ code: ErrorCode.BODY_TOO_LARGE, message: 'response body exceeds 1048576 bytes' });
    expect(result.bytes).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
  });

  test('a declared content-length over the cap is refused before reading the body', async () => {
    server.route('/big', routes.text('x'.repeat(5000)));

    const result = await localEngine({ maxBodyBytes: 1000 }).fetch({ url: server.url('/big') });

    expect(result).toMatchObject({ bytes: 0, error: { code: ErrorCode.BODY_TOO_LARGE } });
  });

  test('an undeclared streamed body is cut at the cap', async () => {
    server.route('/flood', routes.stream(50 * 1024 * 1024));

    const result = await localEngine({ maxBodyBytes: 256 * 1024 }).fetch({ url: server.url('/flood') });

    expect(result.error?.code).toBe(ErrorCode.BODY_TOO_LARGE);
    expect(result.bytes).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
  });

  test('a body exactly at the cap is accepted', async () => {
    server.route('/exact', routes.stream(4096));

    const result = await localEngine({ maxBodyBytes: 4096 }).fetch({ url: server.url('/exact') });

    expect(result).toMatchObject({ ok: true, bytes: 4096 });
  });

  test('a truncated body (connection closed early) is retried and then reported as CONNECTION_RESET', async () => {
    server.route('/cut', routes.truncate(1000, 10));
    const engine = localEngine({ retries: 1, sleep: recordingSleep().sleep });

    const result = await engine.fetch({ url: server.url('/cut') });

    expect(result).toMatchObject({ ok: false, attempts: 2, error: { code: ErrorCode.CONNECTION_RESET } });
  });

  test('a corrupt gzip body is a PROTOCOL_ERROR, not retried', async () => {
    server.route('/corrupt', routes.encoded(Buffer.from('definitely not gzip'), 'gzip'));

    const result = await localEngine({ retries: 2 }).fetch({ url: server.url('/corrupt') });

    expect(result).toMatchObject({ attempts: 1, error: { code: ErrorCode.PROTOCOL_ERROR } });
  });

  test('after a capped response the pool still serves the next request', async () => {
    server.route('/flood', routes.stream(8 * 1024 * 1024)).route('/ok', routes.text('ok'));
    const engine = localEngine({ maxBodyBytes: 64 * 1024, perOrigin: 1 });

    await engine.fetch({ url: server.url('/flood') });
    const next = await engine.fetch({ url: server.url('/ok') });

    expect(next).toMatchObject({ ok: true, bytes: 2 });
  });
});
