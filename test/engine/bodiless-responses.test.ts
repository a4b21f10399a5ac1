import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { TestServer, type Route } from '../support/test-server.ts';

/** Headers only: a status, an encoding and a declared length, and no body (RFC 9110 §6.4.1). */
const headersOnly = (status: number, headers: Record<string, string>): Route => (_req, res) => {
  res.writeHead(status, headers);
  res.end();
};

describe('responses without a body never fail on body rules (RFC 9110 §6.4.1)', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({
      '/gzip-page': (req, res) => {
        // What a server answers to HEAD for a gzipped page: the GET's headers, no body.
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': '5000', 'content-type': 'text/html' });
        res.end(req.method === 'HEAD' ? undefined : Buffer.alloc(0));
      },
      '/no-content': headersOnly(204, { 'content-encoding': 'gzip' }),
      '/not-modified': headersOnly(304, { 'content-encoding': 'br', 'content-length': '999999999' }),
      '/big-redirect': (_req, res) => {
        res.writeHead(301, { location: '/final', 'content-length': '999999999' });
        res.end();
      },
      '/final': (_req, res) => res.end('final'),
    });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('HEAD of a gzipped page whose length is over the cap is OK', async () => {
    const result = await localEngine({ maxBodyBytes: 1000 }).fetch({ url: server.url('/gzip-page'), method: 'HEAD' });

    expect(result).toMatchObject({ ok: true, status: 200, bytes: 0, error: null });
  });

  test('204 No Content with a Content-Encoding is OK', async () => {
    const result = await localEngine().fetch({ url: server.url('/no-content') });

    expect(result).toMatchObject({ ok: true, status: 204, bytes: 0, error: null });
  });

  test('304 Not Modified with an encoding and a huge declared length is an HTTP status, not a body error', async () => {
    const result = await localEngine({ maxBodyBytes: 1000 }).fetch({ url: server.url('/not-modified') });

    expect(result).toMatchObject({ ok: false, status: 304, error: { code: ErrorCode.HTTP_STATUS } });
  });

  test('a redirect that declares a body over the cap is still followed', async () => {
    const result = await localEngine({ maxBodyBytes: 1000, retries: 0 }).fetch({ url: server.url('/big-redirect') });

    expect(result).toMatchObject({ ok: true, status: 200, redirects: 1, bytes: 5 });
  });
});
