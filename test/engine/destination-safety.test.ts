import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine, safeEngine } from '../support/engines.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('destination safety on real connections', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/': routes.text('secret') }, '0.0.0.0');
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test.each([
    ['dotted', (port: number) => `http://127.0.0.1:${port}/`],
    ['decimal', (port: number) => `http://2130706433:${port}/`],
    ['hex', (port: number) => `http://0x7f000001:${port}/`],
    ['octal', (port: number) => `http://0177.0.0.1:${port}/`],
    ['short', (port: number) => `http://127.1:${port}/`],
    ['zero', (port: number) => `http://0:${port}/`],
    ['another loopback', (port: number) => `http://127.0.0.2:${port}/`],
    ['IPv4-mapped IPv6', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
    ['IPv4-compatible IPv6', (port: number) => `http://[::127.0.0.1]:${port}/`],
  ])('blocks loopback written as %s without opening a socket', async (_form, urlOf) => {
    const engine = safeEngine();

    const result = await engine.fetch({ url: urlOf(server.port) });

    expect(result.error?.code).toBe(ErrorCode.BLOCKED_DESTINATION);
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(1);
    expect(server.connections).toBe(0);
  });

  test('blocks a host name that resolves to loopback, and the message names no address or port', async () => {
    const engine = safeEngine({ dnsResolve: async () => [{ address: '127.0.0.1', family: 4 }] });

    const result = await engine.fetch({ url: `http://internal.example:${server.port}/` });

    expect(result.error).toStrictEqual({ code: ErrorCode.BLOCKED_DESTINATION, message: 'destination address is not allowed (loopback)' });
    expect(result.error!.message).not.toContain(String(server.port));
    expect(server.connections).toBe(0);
  });

  test('connects only to the allowed address when a name resolves to both allowed and blocked ones', async () => {
    const engine = localEngine({
      allowNetworks: ['127.0.0.1/32'],
      dnsResolve: async () => [{ address: '10.0.0.1', family: 4 }, { address: '127.0.0.1', family: 4 }],
    });

    const result = await engine.fetch({ url: `http://mixed.example:${server.port}/` });

    expect(result.status).toBe(200);
    expect(server.requestHeaders[0]?.host).toBe(`mixed.example:${server.port}`);
  });

  test('reaches loopback when an allow-list entry opens it', async () => {
    const engine = localEngine();

    const result = await engine.fetch({ url: server.url('/', '127.0.0.1') });

    expect(result).toMatchObject({ ok: true, status: 200, bytes: 6, error: null });
  });

  test('re-checks every redirect hop: an allowed host redirecting to a blocked one is stopped before connecting', async () => {
    const blocked = await TestServer.start({ '/': routes.text('internal') }, '127.0.0.2');
    try {
      server.route('/jump', routes.redirect(blocked.url('/')));
      const engine = localEngine({ allowNetworks: ['127.0.0.1/32'] });

      const result = await engine.fetch({ url: server.url('/jump', '127.0.0.1') });

      expect(result).toMatchObject({ ok: false, redirects: 1, finalUrl: blocked.url('/') });
      expect(result.error?.code).toBe(ErrorCode.BLOCKED_DESTINATION);
      expect(blocked.connections).toBe(0);
    } finally {
      await blocked.close();
    }
  });

  test('a redirect to IPv6 loopback is blocked too', async () => {
    server.route('/to-v6', routes.redirect(`http://[::1]:${server.port}/`));
    const engine = localEngine({ allowNetworks: ['127.0.0.1/32'] });

    const result = await engine.fetch({ url: server.url('/to-v6', '127.0.0.1') });

    expect(result.error?.code).toBe(ErrorCode.BLOCKED_DESTINATION);
    expect(server.hitsOf('/')).toBe(0);
  });

  test.each(['file:///etc/passwd', 'ftp://127.0.0.1/', 'gopher://127.0.0.1:70/', 'javascript:alert(1)', 'not a url', '', '//no-scheme'])(
    'refuses %j as INVALID_URL without any attempt',
    async (url) => {
      const engine = safeEngine();

      const result = await engine.fetch({ url });

      expect(result).toMatchObject({ url, ok: false, status: null, attempts: 0 });
      expect(result.error?.code).toBe(ErrorCode.INVALID_URL);
    },
  );

  test('a redirect to a non-http scheme ends as INVALID_URL', async () => {
    server.route('/to-file', routes.redirect('file:///etc/passwd'));
    const engine = localEngine();

    const result = await engine.fetch({ url: server.url('/to-file', '127.0.0.1') });

    expect(result.error?.code).toBe(ErrorCode.INVALID_URL);
    expect(result.status).toBe(302);
  });
});
