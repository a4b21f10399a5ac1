import { ErrorCode } from '../../lib/index.ts';
import { parseRobots } from '../../lib/politeness/robots-rules.ts';
import { closeEngines, fetchAllOf, localEngine } from '../support/engines.ts';
import { DispatchLog } from '../support/dispatch-log.ts';
import { HostsServer, loopbackNames } from '../support/hosts-server.ts';

describe('robots.txt rules (RFC 9309)', () => {
  const robots = parseRobots([
    'User-agent: *',
    'Disallow: /private',
    '',
    'User-agent: batchfetch',
    'User-agent: other',
    'Disallow: /',
    'Allow: /public',
    'Allow: /page$',
    'Disallow: /*.pdf$',
    'Crawl-delay: 2',
  ].join('\n'), 'batchfetch');

  test('our own group wins over *, the longest match wins, allow wins a tie, * and $ match as specified', () => {
    expect(robots.allows('/public/a')).toBe(true);
    expect(robots.allows('/page')).toBe(true);
    expect(robots.allows('/page/2')).toBe(false);
    expect(robots.allows('/docs/a.pdf')).toBe(false);
    // `/public` and `/*.pdf$` are equally long (7 octets): allow wins the tie.
    expect(robots.allows('/public/a.pdf')).toBe(true);
    expect(robots.allows('/other')).toBe(false);
    expect(robots.allows('/robots.txt')).toBe(true);
    expect(robots.crawlDelaySeconds).toBe(2);
  });

  test('a crawler without a group of its own follows *', () => {
    const generic = parseRobots('User-agent: *\nDisallow: /private\n', 'batchfetch');
    expect(generic.allows('/private/x')).toBe(false);
    expect(generic.allows('/open')).toBe(true);
    expect(parseRobots('', 'batchfetch').allows('/anything')).toBe(true);
  });
});

describe('robots.txt in the engine (opt-in), against a real server', () => {
  let server: HostsServer;
  let dispatches: DispatchLog;

  beforeEach(async () => {
    server = await HostsServer.start();
    dispatches = new DispatchLog();
  });

  afterEach(async () => {
    dispatches.close();
    await closeEngines();
    await server.close();
  });

  const site = (robotsStatus: number, robotsBody = '') => (req: { url?: string }, res: { writeHead: (s: number) => { end: (b?: string) => void }; end: (b: string) => void }) => {
    if (req.url === '/robots.txt') res.writeHead(robotsStatus).end(robotsBody);
    else res.end('page');
  };
  const fetchAll = async (engine: ReturnType<typeof localEngine>, urls: string[]) =>
    (await fetchAllOf(engine, urls.map((url) => ({ url })))).sort((a, b) => a.url.localeCompare(b.url));

  test('disallowed paths end ROBOTS_DISALLOWED without a request; allowed ones are fetched; robots.txt is fetched once', async () => {
    server.route('a.test', site(200, 'User-agent: *\nDisallow: /private\n'));
    const engine = localEngine({ dnsResolve: loopbackNames, robotsTxt: true });

    const results = await fetchAll(engine, [server.url('a.test', '/open'), server.url('a.test', '/private/1'), server.url('a.test', '/private/2')]);

    expect(results.map((result) => result.error?.code ?? 'OK')).toStrictEqual(['OK', ErrorCode.ROBOTS_DISALLOWED, ErrorCode.ROBOTS_DISALLOWED]);
    expect(results[1]).toMatchObject({ attempts: 0, status: null });
    expect(server.started.get('a.test')).toHaveLength(2);
  });

  test('a robots.txt answering 404 allows everything; 500 disallows everything for a while', async () => {
    server.route('missing.test', site(404)).route('broken.test', site(500));
    const engine = localEngine({ dnsResolve: loopbackNames, robotsTxt: true, retries: 0 });

    const results = await fetchAll(engine, [server.url('missing.test', '/a'), server.url('broken.test', '/a'), server.url('broken.test', '/b')]);

    expect(results.map((result) => [new URL(result.url).hostname, result.error?.code ?? 'OK'])).toStrictEqual([
      ['broken.test', ErrorCode.ROBOTS_DISALLOWED], ['broken.test', ErrorCode.ROBOTS_DISALLOWED], ['missing.test', 'OK'],
    ]);
    // broken.test was asked for its robots.txt once, and for nothing else.
    expect(server.started.get('broken.test')).toHaveLength(1);
  });

  test('Crawl-delay becomes the host rate: requests to that host start at most one per delay', async () => {
    server.route('slow.test', site(200, 'User-agent: *\nCrawl-delay: 0.5\n'));
    const engine = localEngine({ dnsResolve: loopbackNames, robotsTxt: true });

    const results = await fetchAll(engine, Array.from({ length: 5 }, (_, i) => server.url('slow.test', `/p${i}`)));

    expect(results.every((result) => result.ok)).toBe(true);
    // 2 per second (+1 burst): robots.txt and the pages, never more than 3 starts in one second.
    expect(dispatches.peakIn('slow.test', 1000)).toBeLessThanOrEqual(3);
  });

  test('without robotsTxt, robots.txt is never asked for', async () => {
    server.route('a.test', site(200, 'User-agent: *\nDisallow: /\n'));
    const results = await fetchAll(localEngine({ dnsResolve: loopbackNames }), [server.url('a.test', '/x')]);

    expect(results[0]).toMatchObject({ ok: true });
    expect(server.started.get('a.test')).toHaveLength(1);
  });
});
