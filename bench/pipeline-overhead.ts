// `npm run bench:pipeline [FILE_URLS]`: CPU per URL of everything in the local run except HTTP.
// The local run's pipeline (input parsing, message splitting, the embedded SQS server and the AWS
// SDK, the fetch-batch handler, the JSON-lines sink) with an engine that answers every URL on a
// shared 1 ms tick, so the queue fills and batches are as large as in a real run. No network.
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RunStats, type FetchEngine, type FetchRequest, type FetchResult } from '../lib/index.ts';
import { countingSink } from '../lib/sinks/counting-sink.ts';
import { JsonLinesSink } from '../lib/sinks/result-sink.ts';
import { runLocalPipeline } from '../bin/local/local-pipeline.ts';

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
  });
  const cpu = process.cpuUsage(started);
  if (stats.urls !== URLS) throw new Error(`${stats.urls} records for ${URLS} URLs`);
  process.stdout.write(`pipeline without HTTP: ${URLS.toLocaleString('en')} URLs, ${((cpu.user + cpu.system) / URLS).toFixed(2)} µs CPU per URL\n`);
} finally {
  output.end();
  rmSync(outPath, { force: true });
}
