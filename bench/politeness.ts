// `npm run bench:politeness`: a mixed list — 19 hosts that answer in 20 ms and one that tolerates
// 2 requests per second and answers 429 (Retry-After: 1) above that — fetched with and without
// adaptive backoff. Reports the calm hosts' throughput, what the pushing-back host received, and
// how its URLs ended. Then a host that refuses only now and then: 20,000 URLs to one host that
// answers 503 (no Retry-After) to 3 % of them, once each — adaptive backoff should slow it a little,
// not stall it. All hosts are names mapped to 127.0.0.1 by the engine's resolver hook.
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFetchEngine, type FetchResult } from '../lib/index.ts';

const CALM_HOSTS = 19;
const URLS_PER_HOST = Number(process.env.BENCH_URLS_PER_HOST ?? 200);
const STORM_HOST = 'storm.test';
const STORM_TOLERATES_PER_SECOND = 2;
/** URLs for the pushing-back host: at its 2/s, 50 take 25 s at best. */
const STORM_URLS = 50;

/** A loopback server answering with `handler`, and an engine that resolves every name to it. */
async function loopback(handler: RequestListener, options: { adaptiveBackoff: boolean; retries: number }) {
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const engine = createFetchEngine({
    allowNetworks: ['127.0.0.0/8'], dnsResolve: async () => [{ address: '127.0.0.1', family: 4 }], concurrency: 64, ...options,
  });
  const close = async () => {
    await engine.close();
    server.close();
  };
  return { port: (server.address() as AddressInfo).port, engine, close };
}

async function run(adaptiveBackoff: boolean, withStorm = true) {
  const stormHits: number[] = [];
  let storm429 = 0;
  const { port, engine, close } = await loopback((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host !== STORM_HOST) {
      setTimeout(() => res.end('ok'), 20);
      return;
    }
    const now = Date.now();
    stormHits.push(now);
    const lastSecond = stormHits.filter((at) => now - at < 1000).length;
    if (lastSecond > STORM_TOLERATES_PER_SECOND) {
      storm429 += 1;
      res.writeHead(429, { 'retry-after': '1' }).end();
    } else {
      setTimeout(() => res.end('ok'), 20);
    }
  }, { adaptiveBackoff, retries: 3 });
  const urls: { url: string }[] = [];
  for (let i = 0; i < URLS_PER_HOST; i++) {
    if (withStorm && i < STORM_URLS) urls.push({ url: `http://${STORM_HOST}:${port}/?i=${i}` });
    for (let h = 0; h < CALM_HOSTS; h++) urls.push({ url: `http://calm${h}.test:${port}/?i=${i}` });
  }
  const started = performance.now();
  let calmDoneAt = 0;
  let calmDone = 0;
  const storm: FetchResult[] = [];
  for await (const result of engine.fetchAll(urls)) {
    if (result.url.includes(STORM_HOST)) storm.push(result);
    else if (++calmDone === CALM_HOSTS * URLS_PER_HOST) calmDoneAt = performance.now();
  }
  const ended = performance.now();
  await close();
  return {
    calmUrlsPerSecond: Math.round((CALM_HOSTS * URLS_PER_HOST) / ((calmDoneAt - started) / 1000)),
    stormRequests: stormHits.length,
    storm429,
    stormOk: storm.filter((result) => result.ok).length,
    stormFailed: storm.filter((result) => !result.ok).length,
    totalSeconds: Math.round((ended - started) / 100) / 10,
  };
}

const solo = await run(true, false);
const without = await run(false);
const withBackoff = await run(true);
process.stdout.write(`mixed list: ${CALM_HOSTS} calm hosts x ${URLS_PER_HOST} URLs (20 ms each) + 1 host with ${STORM_URLS} URLs tolerating ${STORM_TOLERATES_PER_SECOND}/s (429 + Retry-After: 1 above), 64 in flight, retries 3\n`);
process.stdout.write('| | calm hosts URLs/s | requests to the pushing-back host | of which 429 | its URLs ok / failed | total s |\n| --- | --- | --- | --- | --- | --- |\n');
for (const [name, r] of [['calm hosts alone', solo], ['without adaptive backoff', without], ['with adaptive backoff', withBackoff]] as const) {
  process.stdout.write(`| ${name} | ${r.calmUrlsPerSecond} | ${r.stormRequests} | ${r.storm429} | ${r.stormOk} / ${r.stormFailed} | ${r.totalSeconds} |\n`);
}

/** One host, 20,000 URLs, a one-off 503 for every 33rd: URLs/s with and without adaptive backoff. */
async function sporadic(adaptiveBackoff: boolean) {
  const refused = new Set<string>();
  const { port, engine, close } = await loopback((req, res) => {
    const i = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('i'));
    if (i % 33 === 0 && !refused.has(req.url!)) {
      refused.add(req.url!);
      res.writeHead(503).end();
      return;
    }
    setTimeout(() => res.end('ok'), 2);
  }, { adaptiveBackoff, retries: 2 });
  const urls = Array.from({ length: 20_000 }, (_, i) => ({ url: `http://sporadic.test:${port}/?i=${i}` }));
  const started = performance.now();
  let ok = 0;
  for await (const result of engine.fetchAll(urls)) if (result.ok) ok += 1;
  const seconds = (performance.now() - started) / 1000;
  await close();
  return { urlsPerSecond: Math.round(urls.length / seconds), ok, refused: refused.size };
}

const [steady, slowed] = [await sporadic(false), await sporadic(true)];
process.stdout.write(`\none host, 20,000 URLs, a one-off 503 (no Retry-After) for 3 % of them, 64 in flight, 6 connections per origin, retries 2\n`);
process.stdout.write('| | URLs/s | ok | 503s sent |\n| --- | --- | --- | --- |\n');
for (const [name, r] of [['without adaptive backoff', steady], ['with adaptive backoff', slowed]] as const) {
  process.stdout.write(`| ${name} | ${r.urlsPerSecond} | ${r.ok} | ${r.refused} |\n`);
}
