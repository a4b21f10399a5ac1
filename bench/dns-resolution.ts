// `npm run bench:dns`: how fast many distinct host names resolve when each DNS answer takes
// 50 ms, through getaddrinfo (`dns.lookup`, libuv's thread pool, what Node and undici use by
// default) and through the engine's SystemResolver (c-ares on the event loop). A DNS server on
// 127.0.0.1:53 answers every name; each run happens in a private mount namespace whose
// /etc/resolv.conf names that server, so nothing leaves the machine. Needs root (unshare, port 53).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestDnsServer } from '../test/support/dns-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NAMES = Number(process.env.BENCH_DNS_NAMES ?? 2_000);
const DELAY_MS = Number(process.env.BENCH_DNS_DELAY_MS ?? 50);

const PROBE = `
import { lookup } from 'node:dns';
import { SystemResolver } from ${JSON.stringify(join(ROOT, 'lib/net/system-resolver.ts'))};
const [mode, names] = [process.argv[1], Number(process.argv[2])];
const resolver = new SystemResolver({ hostsPath: '/dev/null' });
const resolveOne = mode === 'getaddrinfo'
  ? (name) => new Promise((resolve, reject) => lookup(name, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))))
  : (name) => resolver.resolve(name);
const started = performance.now();
let ok = 0;
let next = 0;
// 256 lookups wanted at once, as 256 requests in flight to new hosts would want them.
await Promise.all(Array.from({ length: 256 }, async () => {
  while (next < names) {
    const name = 'h' + next++ + '.batchfetch.test';
    try { await resolveOne(name); ok += 1; } catch {}
  }
}));
const ms = performance.now() - started;
const cpu = process.cpuUsage();
console.log(JSON.stringify({ mode, names, ok, ms: Math.round(ms), namesPerSecond: Math.round(names / ms * 1000), cpuUsPerName: Math.round((cpu.user + cpu.system) / names) }));
`;

async function probe(mode: string, resolvConf: string): Promise<Record<string, number | string>> {
  const script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';
  const child = spawn('unshare', ['-m', 'sh', '-c', script, resolvConf, process.execPath, '--input-type=module', '-e', PROBE, mode, String(NAMES)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += String(chunk); });
  await once(child, 'close');
  return JSON.parse(stdout.trim()) as Record<string, number | string>;
}

const dns = await TestDnsServer.start(() => ({ addresses: ['127.0.0.1'], ttl: 300 }), { port: 53, delayMs: DELAY_MS });
const dir = mkdtempSync(join(tmpdir(), 'batchfetch-dns-'));
const resolvConf = join(dir, 'resolv.conf');
writeFileSync(resolvConf, 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n');
try {
  const rows = [await probe('getaddrinfo', resolvConf), await probe('c-ares (SystemResolver)', resolvConf)];
  const lines = [
    `${NAMES.toLocaleString('en')} distinct names, each DNS answer delayed ${DELAY_MS} ms, 256 lookups wanted at once:`,
    '',
    '| resolver | names/s | wall ms | CPU µs per name | resolved |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.mode} | ${r.namesPerSecond} | ${r.ms} | ${r.cpuUsPerName} | ${r.ok} |`),
  ];
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/dns.md'), text);
} finally {
  dns.close();
  rmSync(dir, { recursive: true, force: true });
}
