import { DnsCache } from '../../lib/net/dns-cache.ts';

describe('DnsCache', () => {
  test('concurrent lookups of one name share a single resolution, reused until the TTL passes', async () => {
    let now = 1_000;
    const asked: string[] = [];
    const cache = new DnsCache({
      ttlMs: 30_000,
      now: () => now,
      resolve: async (hostname) => {
        asked.push(hostname);
        return [{ address: '93.184.216.34', family: 4 }];
      },
    });

    const [a, b] = await Promise.all([cache.lookup('example.com'), cache.lookup('example.com')]);
    now += 29_999;
    await cache.lookup('example.com');
    now += 2;
    await cache.lookup('example.com');

    expect(a).toStrictEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(b).toBe(a);
    expect(asked).toStrictEqual(['example.com', 'example.com']);
  });

  test('a failure is not cached: the next lookup asks again', async () => {
    let calls = 0;
    const cache = new DnsCache({
      resolve: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('temporary'), { code: 'EAI_AGAIN' });
        return [{ address: '93.184.216.34', family: 4 }];
      },
    });

    await expect(cache.lookup('flaky.example')).rejects.toThrow('temporary');
    await expect(cache.lookup('flaky.example')).resolves.toHaveLength(1);
    expect(calls).toBe(2);
  });

  test('a resolver that never answers is cut off by the timeout with a temporary (retryable) code', async () => {
    const cache = new DnsCache({ timeoutMs: 50, resolve: () => new Promise(() => {}) });

    await expect(cache.lookup('slow.example')).rejects.toMatchObject({ code: 'EAI_AGAIN', message: 'DNS lookup timed out' });
  });

  test('keeps at most maxEntries names, dropping the oldest', async () => {
    const asked: string[] = [];
    const cache = new DnsCache({ maxEntries: 2, resolve: async (hostname) => { asked.push(hostname); return []; } });

    for (const name of ['a', 'b', 'c', 'a']) await cache.lookup(name);

    expect(asked).toStrictEqual(['a', 'b', 'c', 'a']);
  });
});
