import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../lib/index.ts';
import { DnsCache } from '../../lib/net/dns-cache.ts';
import { SystemResolver } from '../../lib/net/system-resolver.ts';
import { TestDnsServer, type Answering } from '../support/dns-server.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { TestServer } from '../support/test-server.ts';
import { tempDir } from '../support/temp-dir.ts';

/** `*.test` names exist (IPv4 and IPv6, TTL 60 s); everything else is NXDOMAIN. */
const testZone: Answering = (name) =>
  name.endsWith('.test') ? { addresses: ['127.0.0.1', '::1'], ttl: 60 } : 'NXDOMAIN';

function hostsFile(text: string): string {
  const path = join(tempDir('batchfetch-hosts-'), 'hosts');
  writeFileSync(path, text);
  return path;
}

describe('SystemResolver (DNS through c-ares, /etc/hosts first)', () => {
  let dns: TestDnsServer;

  afterEach(() => dns.close());

  test('asks A and AAAA at once and returns every address, IPv4 first, with the smallest TTL', async () => {
    dns = await TestDnsServer.start(testZone);
    const resolver = new SystemResolver({ servers: [dns.address], hostsPath: hostsFile('') });

    const answer = await resolver.resolve('www.example.test');

    expect(answer).toStrictEqual({ addresses: [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }], ttlMs: 60_000 });
    expect([...dns.questions].sort()).toStrictEqual(['www.example.test A', 'www.example.test AAAA']);
  });

  test('a name that does not exist is ENOTFOUND', async () => {
    dns = await TestDnsServer.start(testZone);
    const resolver = new SystemResolver({ servers: [dns.address], hostsPath: hostsFile('') });

    await expect(resolver.resolve('nowhere.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  test('names in the hosts file, and localhost, are answered without asking DNS', async () => {
    dns = await TestDnsServer.start(testZone);
    const resolver = new SystemResolver({ servers: [dns.address], hostsPath: hostsFile('# pinned\n127.0.0.9  pinned.test  Alias.test\n') });

    expect(await resolver.resolve('pinned.test')).toStrictEqual({ addresses: [{ address: '127.0.0.9', family: 4 }] });
    expect(await resolver.resolve('alias.test')).toStrictEqual({ addresses: [{ address: '127.0.0.9', family: 4 }] });
    expect((await resolver.resolve('app.localhost')).addresses[0]).toStrictEqual({ address: '127.0.0.1', family: 4 });
    expect(dns.questions).toStrictEqual([]);
  });

  test('at most maxConcurrent names are asked at once; the rest wait their turn', async () => {
    dns = await TestDnsServer.start(testZone, { delayMs: 20 });
    const resolver = new SystemResolver({ servers: [dns.address], hostsPath: hostsFile(''), maxConcurrent: 4 });

    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => resolver.resolve(`h${i}.test`)));

    expect(answers.every((answer) => answer.addresses.length === 2)).toBe(true);
    expect(dns.questions).toHaveLength(80);
    expect(dns.maxInFlight).toBeLessThanOrEqual(8); // 4 names × (A + AAAA)
    expect(dns.maxInFlight).toBeGreaterThan(2);
  });
});

describe('DnsCache with TTLs and negative caching', () => {
  test('an answer is reused for its own TTL when that is shorter than ttlMs', async () => {
    let now = 0;
    let asked = 0;
    const cache = new DnsCache({
      ttlMs: 30_000,
      now: () => now,
      resolve: async () => { asked += 1; return { addresses: [{ address: '192.0.2.1', family: 4 }], ttlMs: 5_000 }; },
    });

    await cache.lookup('short.example');
    now = 4_999;
    await cache.lookup('short.example');
    now = 5_001;
    await cache.lookup('short.example');

    expect(asked).toBe(2);
  });

  test('"no such name" is remembered for negativeTtlMs, so a dead host in a long list is asked once', async () => {
    let now = 0;
    let asked = 0;
    const cache = new DnsCache({
      negativeTtlMs: 10_000,
      now: () => now,
      resolve: async () => { asked += 1; throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' }); },
    });

    for (let i = 0; i < 5; i += 1) await expect(cache.lookup('gone.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    now = 10_001;
    await expect(cache.lookup('gone.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });

    expect(asked).toBe(2);
  });
});

describe('the engine with its own DNS servers', () => {
  let dns: TestDnsServer;
  let server: TestServer;

  beforeAll(async () => {
    dns = await TestDnsServer.start((name) => {
      if (name === 'internal.test') return { addresses: ['10.0.0.1'], ttl: 60 };
      return name.endsWith('.test') ? { addresses: ['127.0.0.1'], ttl: 60 } : 'NXDOMAIN';
    });
    server = await TestServer.start({ '/': (_req, res) => res.end('hi') });
  });

  afterAll(async () => {
    await closeEngines();
    dns.close();
    await server.close();
  });

  test('fetches names resolved through them, and still checks every answer against the destination policy', async () => {
    const engine = localEngine({ dnsServers: [dns.address], retries: 0 });

    const ok = await engine.fetch({ url: `http://site.test:${server.port}/` });
    const blocked = await engine.fetch({ url: `http://internal.test:${server.port}/` });
    const missing = await engine.fetch({ url: `http://nowhere.invalid:${server.port}/` });

    expect(ok).toMatchObject({ ok: true, status: 200 });
    expect(blocked).toMatchObject({ ok: false, error: { code: ErrorCode.BLOCKED_DESTINATION } });
    expect(missing).toMatchObject({ ok: false, error: { code: ErrorCode.DNS_FAILURE } });
  });
});
