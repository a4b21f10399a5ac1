import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig } from '../../lib/config/env-config.ts';
import { createFetchEngine } from '../../lib/engine/fetch-engine.ts';
import { JsonLinesSink } from '../../lib/sinks/result-sink.ts';
import { S3Sink } from '../../lib/sinks/s3-sink.ts';
import { RunStats } from '../../lib/stats/run-stats.ts';
import { countingSink } from '../../lib/sinks/counting-sink.ts';
import { pollQueueWith } from '../../lib/queue/sqs-poller.ts';
import { sqsQueueApi } from '../../lib/queue/sqs-queue-api.ts';
import { engineOptionsFrom, FETCH_FLAGS, FETCH_FLAGS_USAGE } from '../fetch-flags.ts';
import { localContext } from '../local/local-context.ts';
import { ProgressLine } from '../local/progress.ts';
import { CliLogger } from '../cli-logger.ts';
import { finishReport, REPORT_FLAGS, REPORT_FLAGS_USAGE, reportOptionsFrom, withFailOnErrorDefault } from '../report-flags.ts';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, jobStoreFrom, s3ClientFrom, sqsClientFrom } from '../aws-clients.ts';
import { sharedPoliteness } from '../../lib/politeness/shared-politeness.ts';
import { closeOutput, exitAfterWriteFailure, openOutput, outputName, prepareBodiesDir, stoppingOnWriteFailure, withBodiesDir } from '../cli-streams.ts';
import { integerFlag, parseCommandArgs, UsageError } from '../usage-error.ts';
import { OPTION_RANGES } from '../../lib/core/option-ranges.ts';
import { DEFAULT_RESULTS_PREFIX } from '../../lib/jobs/job-ref.ts';
import { INTERRUPTED, onInterrupt } from '../interrupts.ts';
import { urls } from '../plural.ts';

const WORKER_USAGE = `batchfetch worker --queue-url URL [options]
  The SQS consumer outside Lambda: long-polls the queue, builds the same SQS events Lambda's event
  source builds, calls the fetch-batch handler, deletes only acknowledged messages (failed ones
  come back after their visibility timeout). Results are written before messages are deleted.
  SIGTERM/SIGINT: stop receiving, finish the batch in hand; a second signal exits at once (its
  messages return to the queue after their visibility timeout).

  --queue-url URL        the queue (required)
${CONNECTION_FLAGS_USAGE}
                         (with a jobs table, messages of a job are accounted to it, once)
  --results-bucket NAME  store results in S3 as the Lambda function does (results/job=<id>/...),
                         instead of --out
  --batch-size N         messages per batch (default 10; above 10 needs --batching-window)
  --batching-window MS   keep receiving until the batch is full or MS passed (default 0)
  --pollers N            concurrent batches (default 1)
  --invocation-timeout MS  time budget of one batch, like a Lambda timeout (default 300000);
                         URLs cut off by it continue in a message on the same queue
  --exit-when-empty      stop once the queue has no visible, in-flight or delayed messages
  --out FILE             results, appended as JSON lines (default - = stdout)
${FETCH_FLAGS_USAGE}
${REPORT_FLAGS_USAGE}
`;

/** True when nothing is visible, in flight or delayed on the queue. */
async function drained(client: SQSClient, queueUrl: string): Promise<boolean> {
  const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
  const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...names] }));
  return names.every((name) => Number(Attributes[name] ?? 0) === 0);
}

/** The flags `worker` accepts (parseArgs option specs); the docs test checks each is documented. */
const WORKER_FLAGS = {
  ...FETCH_FLAGS,
  ...CONNECTION_FLAGS,
  ...REPORT_FLAGS,
  'queue-url': { type: 'string' },
  'results-bucket': { type: 'string' },
  'batch-size': { type: 'string' },
  'batching-window': { type: 'string' },
  pollers: { type: 'string' },
  'invocation-timeout': { type: 'string' },
  'exit-when-empty': { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function workerCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args: withFailOnErrorDefault(args),
    options: WORKER_FLAGS,
  });
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(WORKER_USAGE);
    return 0;
  }
  const queueUrl = values['queue-url'];
  if (!queueUrl) throw new UsageError('worker needs --queue-url');
  const batchingWindowMs = integerFlag('batching-window', values['batching-window'], OPTION_RANGES.batchingWindowMs) ?? 0;
  const batchSize = integerFlag('batch-size', values['batch-size'], OPTION_RANGES.batchSize) ?? 10;
  // As Lambda's event source: batches above 10 messages need a batching window of at least 1 s.
  if (batchSize > 10 && batchingWindowMs < 1_000) throw new UsageError('--batch-size above 10 needs --batching-window of at least 1000');
  const pollers = integerFlag('pollers', values.pollers, OPTION_RANGES.pollers) ?? 1;
  const invocationMs = integerFlag('invocation-timeout', values['invocation-timeout'], OPTION_RANGES.invocationTimeoutMs) ?? 300_000;
  const report = reportOptionsFrom(values);
  const resultsBucket = values['results-bucket'];
  if (resultsBucket && values.out) throw new UsageError('--results-bucket and --out are two destinations for the same records: choose one');
  const jobs = jobStoreFrom(values);
  // With a table, hosts' rate limits and robots.txt hold across every worker sharing it.
  const engine = createFetchEngine({ ...engineOptionsFrom(values), ...(jobs ? sharedPoliteness(jobs.client, jobs.table) : {}) });
  const output = await openOutput(values.out ?? '-', true);
  prepareBodiesDir(values['bodies-dir']);
  const client = sqsClientFrom(values);
  const s3 = resultsBucket ? s3ClientFrom(values) : undefined;
  const stats = new RunStats();
  const lines = new JsonLinesSink(output, outputName(values.out ?? '-'));
  const s3Sink = s3 && new S3Sink({ client: s3, bucket: resultsBucket!, prefix: DEFAULT_RESULTS_PREFIX });
  const stop = new AbortController();
  // The first write error stops the worker as SIGTERM does (no new receives; the messages whose
  // results failed are not deleted and come back after their visibility timeout), instead of
  // failing every later message until they sit in the DLQ.
  const sink = stoppingOnWriteFailure(countingSink(s3Sink ?? withBodiesDir(lines, values['bodies-dir']), stats), () => stop.abort());
  const handler = await createFetchBatchHandler({
    // The consumer's defaults, with continuations to the queue being consumed (as deployed).
    config: {
      ...readConsumerConfig({ CONTINUATION_QUEUE_URL: queueUrl }),
      deadlineMarginMs: Math.min(3_000, Math.floor(invocationMs / 10)),
      ...(jobs ? { jobs: { table: jobs.table, eventBusName: undefined } } : {}),
      ...(resultsBucket ? { results: { bucket: resultsBucket, prefix: DEFAULT_RESULTS_PREFIX, storeBodies: true } } : {}),
    },
    logger: new CliLogger('batchfetch-worker'),
    engine,
    sink,
    sqs: client,
    // --invocation-timeout is a budget here, not a kill: a batch finishing late is still a batch.
    timeoutEarly: false,
    ...(s3 ? { s3 } : {}),
    ...(jobs ? { dynamodb: jobs.client } : {}),
    // No EventBridge outside AWS: a finished job is announced on stderr (its summary objects
    // are written to the bucket by the handler).
    announceJob: async (summary) => {
      process.stderr.write(`batchfetch worker: job ${summary.jobId} ${summary.status}: ${urls(summary.done)}, ${summary.counts.ok} ok, ${summary.counts.failed} failed\n`);
    },
  });

  const progress = new ProgressLine(stats, !report.quiet && Boolean(process.stderr.isTTY));
  let interrupted = false;
  const stopListening = onInterrupt(() => {
    interrupted = true;
    progress.stop();
    process.stderr.write('batchfetch: stopping: no more receives; finishing the batch in hand (press Ctrl-C again to exit now)\n');
    stop.abort();
  });
  // --deadline: stop as SIGTERM does (no new receives, the batch in hand finishes).
  const deadline = report.deadlineMs === undefined ? undefined : setTimeout(() => stop.abort(), report.deadlineMs);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  try {
    // The first poller to fail stops the others; the engine closes only once all have stopped.
    await pollQueueWith(pollers, {
      queue: sqsQueueApi(client),
      queueUrl,
      queueArn: Attributes?.QueueArn ?? queueUrl,
      handler: (event) => handler(event, localContext(invocationMs)),
      batchSize,
      batchingWindowMs,
      waitTimeSeconds: 1,
      signal: stop.signal,
      ...(values['exit-when-empty'] ? { onEmpty: () => drained(client, queueUrl) } : {}),
    });
  } finally {
    clearTimeout(deadline);
    progress.stop();
    stopListening();
    await engine.close();
    client.destroy();
    s3?.destroy();
    jobs?.client.destroy();
    if (!lines.failure) await closeOutput(output);
  }
  if (lines.failure) return exitAfterWriteFailure(lines.failure);
  return finishReport(report, stats.summary(), engine.hostStats, {}, interrupted ? INTERRUPTED : 0);
}

export { WORKER_FLAGS, WORKER_USAGE, workerCommand };
