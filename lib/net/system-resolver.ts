import { lookup as osLookup, type LookupAddress } from 'node:dns';
import { Resolver as AresResolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { Semaphore } from '../core/semaphore.ts';

/** A resolver's answer; `ttlMs` when the records said how long they may be reused. */
interface DnsAnswer {
  readonly addresses: LookupAddress[];
  readonly ttlMs?: number;
}

interface SystemResolverOptions {
  /** DNS servers (`dns.Resolver#setServers` format, e.g. `127.0.0.1:5353`). @default the system's (/etc/resolv.conf) */
  readonly servers?: readonly string[];
  /** @default /etc/hosts */
  readonly hostsPath?: string;
  /** Questions in flight at most, so a list of a million hosts does not flood the resolver. @default 256 */
  readonly maxConcurrent?: number;
}

/** Answers that mean "this name has no address" (RFC 1035 NXDOMAIN, or no record of the type). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * The engine's default resolver. `dns.lookup` (getaddrinfo) runs on libuv's thread pool, four
 * threads shared with file and zlib work, and blocks a thread for the whole round trip
 * (https://nodejs.org/api/dns.html#implementation-considerations), asking A then AAAA: a few
 * dozen new hosts per second at 50 ms per answer, whatever the concurrency (`npm run bench:dns`,
 * docs/benchmarks.md, has both resolvers' figures). This one asks DNS through c-ares on the event
 * loop (A and AAAA in parallel, with their TTLs), so thousands of names resolve at once, and keeps
 * what getaddrinfo would have given: /etc/hosts first (nsswitch's usual "files dns"), `localhost`
 * as loopback (RFC 6761 §6.3), and getaddrinfo itself as the fallback when DNS cannot be asked
 * (no servers, refused, timed out) rather than answering "no such name".
 */
class SystemResolver {
  readonly #ares: AresResolver;
  readonly #hostsPath: string;
  #hosts: Map<string, LookupAddress[]> | undefined;
  readonly #limit: Semaphore;

  constructor(options: SystemResolverOptions = {}) {
    // Each try waits up to 2 s; the caller's own timeout (the connect timeout) bounds the total.
    this.#ares = new AresResolver({ timeout: 2_000, tries: 3 });
    if (options.servers) this.#ares.setServers([...options.servers]);
    this.#hostsPath = options.hostsPath ?? '/etc/hosts';
    this.#limit = new Semaphore(options.maxConcurrent ?? 256);
  }

  /** Resolves `hostname` to every address, IPv4 first. Rejects with `ENOTFOUND` for no such name. */
  readonly resolve = async (hostname: string): Promise<DnsAnswer> => {
    const name = hostname.toLowerCase();
    const listed = this.#hostsFile().get(name);
    if (listed) return { addresses: listed };
    if (name === 'localhost' || name.endsWith('.localhost')) {
      return { addresses: [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }] };
    }
    const wait = this.#limit.acquire();
    if (wait) await wait;
    try {
      return await this.#askDns(name);
    } finally {
      this.#limit.release();
    }
  };

  async #askDns(name: string): Promise<DnsAnswer> {
    const [v4, v6] = await Promise.allSettled([
      this.#ares.resolve4(name, { ttl: true }),
      this.#ares.resolve6(name, { ttl: true }),
    ]);
    const records = [
      ...(v4.status === 'fulfilled' ? v4.value.map((r) => ({ address: r.address, family: 4, ttl: r.ttl })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((r) => ({ address: r.address, family: 6, ttl: r.ttl })) : []),
    ];
    if (records.length > 0) {
      return {
        addresses: records.map(({ address, family }) => ({ address, family })),
        ttlMs: Math.min(...records.map((record) => record.ttl)) * 1_000,
      };
    }
    const codes = [v4, v6].map((settled) => (settled.status === 'rejected' ? (settled.reason as { code?: string }).code : 'ENODATA'));
    if (codes.every((code) => code !== undefined && NO_SUCH_NAME.has(code))) {
      throw Object.assign(new Error(`no address for ${name}`), { code: 'ENOTFOUND', hostname: name });
    }
    return { addresses: await lookupAll(name) };
  }

  /** /etc/hosts, read once on first use (a file of a few lines; edits need a new engine). */
  #hostsFile(): Map<string, LookupAddress[]> {
    if (this.#hosts) return this.#hosts;
    let text = '';
    try {
      text = readFileSync(this.#hostsPath, 'utf8');
    } catch {
      // no hosts file: every name goes to DNS
    }
    this.#hosts = parseHostsFile(text);
    return this.#hosts;
  }
}

/**
 * hosts(5): an address, then names, `#` comments. Names with the same single address share one
 * answer array, so a large file (container images, test rigs with thousands of names) costs
 * little more than its names.
 */
function parseHostsFile(text: string): Map<string, LookupAddress[]> {
  const hosts = new Map<string, LookupAddress[]>();
  const shared = new Map<string, LookupAddress[]>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || names.length === 0) continue;
    let single = shared.get(address);
    if (!single) {
      single = [{ address, family: address.includes(':') ? 6 : 4 }];
      shared.set(address, single);
    }
    for (const name of names) {
      const key = name.toLowerCase();
      const list = hosts.get(key);
      if (!list) hosts.set(key, single);
      else if (!list.some((entry) => entry.address === address)) hosts.set(key, [...list, single[0]!]);
    }
  }
  return hosts;
}

function lookupAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    osLookup(hostname, { all: true, order: 'verbatim' }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

export { SystemResolver };
export type { DnsAnswer, SystemResolverOptions };
