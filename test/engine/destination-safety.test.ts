import { ErrorCode } from '../../lib/index.ts';
import { createDestinationPolicy } from '../../lib/net/destination-policy.ts';
import { DestinationGuard } from '../../lib/net/destination-guard.ts';
import { DnsCache } from '../../lib/net/dns-cache.ts';
import { createSafeConnector } from '../../lib/net/safe-connector.ts';
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

  // The server listens on every address, so a connection to the blocked 127.0.0.2 would succeed:
  // only the address each connection reached shows the blocked one was never dialled.
  test('connects only to the allowed address when a name resolves to both allowed and blocked ones', async () => {
    const engine = localEngine({
      allowNetworks: ['127.0.0.1/32'],
      dnsResolve: async () => [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }],
    });

    const result = await engine.fetch({ url: `http://mixed.example:${server.port}/` });

    expect(result.status).toBe(200);
    expect(server.requestHeaders[0]?.host).toBe(`mixed.example:${server.port}`);
    expect(server.dialled).toStrictEqual(['127.0.0.1']);
  });

  test('a DNS answer that changes between check and connect cannot move the socket (rebinding)', async () => {
    // The first answer is allowed; every later one points at a blocked (but listening) address.
    // Were the address looked up once to check and again to connect, the first socket would
    // reach 127.0.0.2.
    server.route('/close', (_req, res) => res.setHeader('connection', 'close').end('bye'));
    let lookups = 0;
    const engine = localEngine({
      allowNetworks: ['127.0.0.1/32'],
      dnsTtlMs: 0,
      dnsResolve: async () => {
        lookups += 1;
        return [{ address: lookups === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
      },
    });

    const first = await engine.fetch({ url: `http://rebind.example:${server.port}/close` });
    const second = await engine.fetch({ url: `http://rebind.example:${server.port}/close?again` });

    expect(first).toMatchObject({ ok: true, status: 200 });
    // The server closed the first connection: the second needed a new one and a new answer.
    expect(second.error?.code).toBe(ErrorCode.BLOCKED_DESTINATION);
    expect(server.dialled).toStrictEqual(['127.0.0.1']);
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

  test('a name whose cached answer is blocked is refused again without another lookup, with the same message', async () => {
    let lookups = 0;
    const engine = safeEngine({ dnsResolve: async () => { lookups += 1; return [{ address: '10.1.2.3', family: 4 }]; } });

    const results = [];
    for (let i = 0; i < 3; i++) results.push(await engine.fetch({ url: `http://intranet.example:${server.port}/${i}` }));

    expect(results.map((r) => r.error)).toStrictEqual(Array(3).fill({ code: ErrorCode.BLOCKED_DESTINATION, message: 'destination address is not allowed (private)' }));
    expect(results.map((r) => r.attempts)).toStrictEqual([1, 1, 1]);
    expect(lookups).toBe(1);
    expect(server.connections).toBe(0);
  });

  test('a batch of blocked URLs ends with one BLOCKED_DESTINATION record each and leaves the pool usable', async () => {
    const engine = localEngine({ allowNetworks: ['127.0.0.1/32'] });
    const blockedUrls = Array.from({ length: 200 }, (_, i) => ({ url: `http://127.0.0.2:${server.port}/${i}` }));

    const results = [];
    for await (const result of engine.fetchAll([...blockedUrls, { url: server.url('/', '127.0.0.1') }])) results.push(result);

    expect(results.filter((r) => r.error?.code === ErrorCode.BLOCKED_DESTINATION)).toHaveLength(200);
    expect(results.find((r) => r.ok)).toMatchObject({ status: 200, bytes: 6 });
    expect(server.connections).toBe(1);
  });
});

describe('the safe connector on its own (the check at connect time, behind the early refusal)', () => {
  const connector = (resolve: () => Promise<Array<{ address: string; family: number }>>) => {
    const dns = new DnsCache({ resolve });
    return createSafeConnector({ guard: new DestinationGuard(createDestinationPolicy({}), dns), dns, connectTimeoutMs: 1000 });
  };
  const connect = (target: ReturnType<typeof connector>, hostname: string) => new Promise<Error | null>((resolve) => {
    target({ hostname, host: hostname, protocol: 'http:', port: '9', servername: null, localAddress: null, httpSocket: undefined } as never, (error, socket) => {
      socket?.destroy();
      resolve(error);
    });
  });

  test.each(['127.0.0.1', '[::1]', '[::ffff:10.0.0.1]', '169.254.169.254'])('refuses the IP literal %s before opening a socket', async (hostname) => {
    const error = await connect(connector(async () => []), hostname);

    expect(error).toMatchObject({ code: ErrorCode.BLOCKED_DESTINATION });
  });

  test('refuses a name whose every address is blocked, and reports a name without addresses as a DNS failure', async () => {
    expect(await connect(connector(async () => [{ address: '192.168.1.1', family: 4 }, { address: 'fd00::1', family: 6 }]), 'lan.example'))
      .toMatchObject({ code: ErrorCode.BLOCKED_DESTINATION, message: 'destination address is not allowed (private)' });
    expect(await connect(connector(async () => []), 'empty.example')).toMatchObject({ code: ErrorCode.DNS_FAILURE });
  });
});
