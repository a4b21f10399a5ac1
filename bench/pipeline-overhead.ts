// `npm run bench:pipeline [URLS]`: CPU per URL of everything in the local run except HTTP.
// The local run's pipeline (input parsing, message splitting, the embedded queue, the fetch-batch
// handler, the JSON-lines sink) with an engine that answers every URL on a shared 1 ms tick, so
// the queue fills and batches are as large as in a real run. No network. Runs once per queue kind
// (`run --queue memory`, the default, and `--queue sqs`: fauxqs and the AWS SDK over loopback HTTP).
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RunStats, type FetchEngine, type FetchRequest, type FetchResult } from '../lib/index.ts';
import { countingSink } from '../lib/sinks/counting-sink.ts';
import { JsonLinesSink } from '../lib/sinks/result-sink.ts';
import { runLocalPipeline, type LocalQueueKind } from '../bin/local/local-pipeline.ts';

const URLS = Number(process.argv[2] ?? 1_000_000);
const MESSAGE_URLS = 500;

let waiting: Array<() => void> = [];
let ticker: NodeJS.Timeout | undefined;
const tick = () => {
  const due = waiting;
  waiting = [];
  ticker = undefined;
  for (const resolve of due) resolve();
};
/** Answers after the next 1 ms tick, 64 at a time, with a fixed 200 result. */
const instantEngine = {
  options: { retries: 2, concurrency: 64 },
  mayStartAnother: (inProgress: number) => inProgress < 64,
  watchWaiting: () => () => {},
  hostStats: { waits: 0, pushbacks: 0, topHosts: [] },
  async fetch(request: FetchRequest): Promise<FetchResult> {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      ticker ??= setTimeout(tick, 1);
    });
    return { url: request.url, ok: true, status: 200, attempts: 1, redirects: 0, latencyMs: 1.234, bytes: 1024, error: null };
  },
  async close() {},
} as unknown as FetchEngine;

function* urlLines(): Generator<string> {
  for (let i = 0; i < URLS; i += 1000) {
    let chunk = '';
    for (let j = i; j < Math.min(URLS, i + 1000); j++) chunk += `http://127.0.0.1:8080/1k?i=${j}\n`;
    yield chunk;
  }
}

async function cpuPerUrl(queue: LocalQueueKind): Promise<number> {
  const outPath = join(tmpdir(), `batchfetch-pipeline-${process.pid}.jsonl`);
  const output = createWriteStream(outPath);
  const stats = new RunStats();
  try {
    const started = process.cpuUsage();
    // Exactly what `batchfetch run` runs, with the instant engine.
    await runLocalPipeline({
      input: Readable.from(urlLines()),
      engine: instantEngine,
      sink: countingSink(new JsonLinesSink(output), stats),
      messageUrls: MESSAGE_URLS,
      pollers: 2,
      queue,
    });
    const cpu = process.cpuUsage(started);
    if (stats.urls !== URLS) throw new Error(`${stats.urls} records for ${URLS} URLs`);
    return (cpu.user + cpu.system) / URLS;
  } finally {
    output.end();
    rmSync(outPath, { force: true });
  }
}

for (const queue of ['memory', 'sqs'] as const) {
  process.stdout.write(`pipeline without HTTP, --queue ${queue}: ${URLS.toLocaleString('en')} URLs, ${(await cpuPerUrl(queue)).toFixed(2)} µs CPU per URL\n`);
}
