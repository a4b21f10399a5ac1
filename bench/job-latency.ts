// `npm run bench:job-latency`: a job's end and a compared enqueue at real S3 latency. Local S3
// answers in well under a millisecond where S3 takes 10–50 ms a call; a proxy in front of
// `local-sqs` (test/support/s3-faults.ts) adds BENCH_S3_LATENCY_MS (40) to every S3 call, SQS and
// DynamoDB calls pass at once. A list of BENCH_URLS (20,000) pages in messages of
// BENCH_MESSAGE_URLS (10: 2,000 messages) runs as a first job of a schedule, then half the pages
// change and the list runs again as a compared job. Reported: the compared enqueue's time (it
// reads the first job's 2,000 records objects), and each job's end — from the count that ended it
// (`completedAt`) to its end written (`announcedAt`: summary, manifest of every object, the change
// report read from every object, the event) — and the longest single worker invocation.
import { startJobStack } from './job-stack.ts';

const URLS = Number(process.env.BENCH_URLS ?? 20_000);
const MESSAGE_URLS = Number(process.env.BENCH_MESSAGE_URLS ?? 10);
const LATENCY_MS = Number(process.env.BENCH_S3_LATENCY_MS ?? 40);

async function main(): Promise<void> {
  const stack = await startJobStack({ pages: URLS, bodyBytes: 1024, visibilityTimeoutS: 600 });
  const { base, servers, proxy, connection, list, cli } = stack;
  try {
    const job = async (jobId: string) => {
      const enqueued = await cli(['enqueue', list, '--queue-url', servers.queues.jobs, ...connection, '--job-id', jobId,
        '--results-bucket', servers.resultsBucket, '--schedule', 'latency', '--message-urls', String(MESSAGE_URLS)]);
      const worked = await cli(['worker', '--queue-url', servers.queues.jobs, ...connection, '--results-bucket', servers.resultsBucket,
        '--allow-network', '127.0.0.0/8', '--retries', '0', '--exit-when-empty', '--quiet', '--concurrency', '64']);
      const summary = JSON.parse((await cli(['job', 'status', jobId, '--json', ...connection])).stdout) as {
        status: string; done: number; messages: number; completedAt: string; announcedAt?: string; changes?: Record<string, number>;
      };
      if (summary.done !== URLS || summary.announcedAt === undefined) throw new Error(`job ${jobId}: ${JSON.stringify(summary)}`);
      return {
        jobId, messages: summary.messages, enqueueS: Number(enqueued.seconds.toFixed(1)), workerS: Number(worked.seconds.toFixed(1)),
        endS: (Date.parse(summary.announcedAt) - Date.parse(summary.completedAt)) / 1000, changes: summary.changes,
      };
    };
    // Setting up the first job at full speed, then S3's latency for the runs measured.
    proxy.s3LatencyMs = LATENCY_MS;
    const first = await job('latency-1');
    await fetch(`${base}/mutate?changed=50&broken=0`, { method: 'POST' });
    const second = await job('latency-2');
    process.stdout.write(`${JSON.stringify({
      date: new Date().toISOString().slice(0, 10), node: process.version, urls: URLS, messageUrls: MESSAGE_URLS, s3LatencyMs: LATENCY_MS, jobs: [first, second],
    }, null, 2)}\n`);
  } finally {
    await stack.close();
  }
}

await main();
