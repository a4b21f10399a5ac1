// Crawlee reference for the many-origin scenarios: BasicCrawler + sendRequest (got-scraping) over a
// URL list, in-memory storage, `concurrency` requests at once, no retries. Crawlee is installed by
// the bench into .tmp/crawlee (it is not a dependency of batchfetch). Prints one JSON line like the
// other clients: the ok count and failures by error name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [file, concurrencyText, caFile] = process.argv.slice(2);
const { BasicCrawler, Configuration, log } = await import(join(process.env.CRAWLEE_DIR, 'node_modules/crawlee/index.mjs'));
log.setLevel(log.LEVELS.OFF);
const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
const concurrency = Number(concurrencyText);
const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
const failures = {};
let ok = 0;
const crawler = new BasicCrawler({
  minConcurrency: concurrency,
  maxConcurrency: concurrency,
  maxRequestRetries: 0,
  maxRequestsPerCrawl: urls.length,
  async requestHandler({ sendRequest }) {
    const response = await sendRequest(ca ? { https: { certificateAuthority: ca } } : {});
    if (response.statusCode === 200) ok += 1;
    else failures[`HTTP_${response.statusCode}`] = (failures[`HTTP_${response.statusCode}`] ?? 0) + 1;
  },
  failedRequestHandler(_context, error) {
    const name = error?.code ?? error?.name ?? 'Error';
    failures[name] = (failures[name] ?? 0) + 1;
  },
}, new Configuration({ persistStorage: false }));
// uniqueKey: the same URL may appear twice in a list and must be fetched twice, as by the others.
await crawler.run(urls.map((url, i) => ({ url, uniqueKey: `${i}` })));
process.stdout.write(`${JSON.stringify({ ok, errors: failures })}\n`);
