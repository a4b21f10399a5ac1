import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('redirects', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/end': routes.text('landed') });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('follows a chain of relative and absolute redirects to the final response', async () => {
    server.route('/a', routes.redirect('/b', 301)).route('/b', routes.redirect(server.url('/c'), 307)).route('/c', routes.redirect('end', 308));
    const engine = localEngine();

    const result = await engine.fetch({ url: server.url('/a') });

    expect(result).toMatchObject({ ok: true, status: 200, redirects: 3, finalUrl: server.url('/end'), bytes: 6, attempts: 1 });
  });

  test('a redirect loop ends as TOO_MANY_REDIRECTS after the limit', async () => {
    server.route('/loop', routes.redirect('/loop'));
    const engine = localEngine({ maxRedirects: 3 });

    const result = await engine.fetch({ url: server.url('/loop') });

    expect(result).toMatchObject({ ok: false, status: 302, redirects: 3 });
    expect(result.error).toStrictEqual({ code: ErrorCode.TOO_MANY_REDIRECTS, message: 'more than 3 redirects' });
    expect(server.hitsOf('/loop')).toBe(4);
  });

  test('maxRedirects 0 returns the redirect itself as an HTTP_STATUS result', async () => {
    server.route('/moved', routes.redirect('/end', 301));
    const engine = localEngine({ maxRedirects: 0 });

    const result = await engine.fetch({ url: server.url('/moved') });

    expect(result).toMatchObject({ status: 301, redirects: 0, error: { code: ErrorCode.HTTP_STATUS } });
  });

  test('a 303 after a POST continues as a GET without the body', async () => {
    const methods: string[] = [];
    server.route('/form', routes.redirect('/seen', 303)).route('/seen', (req, res) => {
      methods.push(req.method!);
      res.end(String(req.headers['content-length'] ?? 'none'));
    });
    const engine = localEngine({ bodyMode: 'keep' });

    const result = await engine.fetch({ url: server.url('/form'), method: 'POST', body: 'a=1', headers: { 'content-type': 'text/plain' } });

    expect(methods).toStrictEqual(['GET']);
    expect(Buffer.from(result.body!, 'base64').toString()).toBe('none');
  });

  test('credentials are not forwarded to another origin', async () => {
    const other = await TestServer.start({ '/': routes.text('other') }, '127.0.0.2');
    try {
      server.route('/out', routes.redirect(other.url('/')));
      const engine = localEngine();

      await engine.fetch({ url: server.url('/out'), headers: { Authorization: 'Bearer secret', Cookie: 'a=b', 'X-Trace': '1' } });

      expect(server.requestHeaders[0]).toMatchObject({ authorization: 'Bearer secret', cookie: 'a=b' });
      expect(other.requestHeaders[0]).not.toHaveProperty('authorization');
      expect(other.requestHeaders[0]).not.toHaveProperty('cookie');
      expect(other.requestHeaders[0]).toMatchObject({ 'x-trace': '1' });
    } finally {
      await other.close();
    }
  });
});
