import { SqsSender } from '../../lib/queue/sqs-sender.ts';
import { sqsQueueApi } from '../../lib/queue/sqs-queue-api.ts';
import { streamLines } from '../../lib/enqueue/enqueue-sources.ts';
import { enqueueList } from '../../lib/enqueue/enqueue-job.ts';
import { tmpdir } from 'node:os';
import { compareWithEarlier } from '../../lib/enqueue/compare-with-earlier.ts';
import { DEFAULT_RESULTS_PREFIX, isJobId, JOB_ID_RULE, jobResultsLocation } from '../../lib/jobs/job-ref.ts';
import { OPTION_RANGES } from '../../lib/core/option-ranges.ts';
import { DEFAULT_MESSAGE_URLS } from '../../lib/schemas/queue-message.ts';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, jobStoreFrom, s3ClientFrom, sqsClientFrom } from '../aws-clients.ts';
import { openInput } from '../cli-streams.ts';
import { integerFlag, jobIdFlag, parseCommandArgs, UsageError } from '../usage-error.ts';

const ENQUEUE_USAGE = `batchfetch enqueue FILE --queue-url URL [options]
  Sends the URLs of FILE (- for stdin; the format of \`run\`) to an SQS queue as batchfetch
  messages, with the same code as the enqueue Lambda function. Invalid lines are reported, not sent.
  With a jobs table, it starts a job (printed as jobId) that \`batchfetch job status\` follows.

  --queue-url URL        the queue (required)
  --message-urls N       URLs per message (default 250)
  --job-id ID            the job's id (default: generated); enqueueing an id again sends nothing
  --tolerated-failure-percentage P  the job ends failed when more than P % of its URLs fail
  --results-bucket NAME  where the consumers store results (worker --results-bucket), recorded
                         on the job for \`job results\` and \`job redrive\`
  --since-job ID         compare with an earlier, finished job: requests carry its validators
                         (a 304 costs no body), records get a change class, the job counts them,
                         and \`job changes\` prints what changed, broke, recovered, is new or missing
                         (needs --results-bucket; the list is partitioned in the temp directory)
  --schedule NAME        the job is one of the series NAME (as a schedule's jobs are): it compares
                         with the series' newest finished job (the first: every URL new)
${CONNECTION_FLAGS_USAGE}
`;

/** The flags `enqueue` accepts (parseArgs option specs); the docs test checks each is documented. */
const ENQUEUE_FLAGS = {
  ...CONNECTION_FLAGS,
  'queue-url': { type: 'string' },
  'message-urls': { type: 'string' },
  'job-id': { type: 'string' },
  'tolerated-failure-percentage': { type: 'string' },
  'results-bucket': { type: 'string' },
  'since-job': { type: 'string' },
  schedule: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function enqueueCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args,
    allowPositionals: true,
    options: ENQUEUE_FLAGS,
  });
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(ENQUEUE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('enqueue expects exactly one FILE (use - for stdin)');
  if (!values['queue-url']) throw new UsageError('enqueue needs --queue-url');
  const maxUrls = integerFlag('message-urls', values['message-urls'], OPTION_RANGES.messageUrls) ?? DEFAULT_MESSAGE_URLS;
  const tolerated = integerFlag('tolerated-failure-percentage', values['tolerated-failure-percentage'], OPTION_RANGES.toleratedFailurePercentage);
  const jobs = jobStoreFrom(values);
  if (!jobs && (values['job-id'] !== undefined || tolerated !== undefined || values['results-bucket'] || values['since-job'] || values.schedule)) {
    throw new UsageError('--job-id, --tolerated-failure-percentage, --results-bucket, --since-job and --schedule need --jobs-table or --dynamodb-endpoint');
  }
  const schedule = values.schedule;
  if (schedule !== undefined && values['since-job'] !== undefined) throw new UsageError('--since-job and --schedule each choose what to compare with: give one');
  const id = jobIdFlag(values['job-id']);
  const sinceJob = values['since-job'];
  if (sinceJob !== undefined && !isJobId(sinceJob)) throw new UsageError(`--since-job: '${sinceJob}' is not a job id (${JOB_ID_RULE})`);
  const results = values['results-bucket'] ? jobResultsLocation(values['results-bucket'], DEFAULT_RESULTS_PREFIX, id) : undefined;
  const input = await openInput(positionals[0]!);
  const client = sqsClientFrom(values);
  const compare = sinceJob !== undefined ? { sinceJobId: sinceJob } : schedule !== undefined ? { schedule } : undefined;
  const s3 = compare === undefined ? undefined : s3ClientFrom(values);
  try {
    const since = jobs && s3 && compare
      ? await compareWithEarlier(compare, { store: jobs.store, s3, jobId: id, results, spillDir: tmpdir() })
      : undefined;
    if (since && !since.ok) throw new UsageError(`--${sinceJob === undefined ? 'schedule' : 'since-job'}: ${since.error}`);
    const sender = new SqsSender({ queue: sqsQueueApi(client), queueUrl: values['queue-url'] });
    const summary = await enqueueList(streamLines(input), sender, { maxUrls, groupDir: tmpdir() }, jobs && {
      store: jobs.store,
      job: {
        jobId: id,
        ...(tolerated === undefined ? {} : { toleratedFailurePercentage: tolerated }),
        ...(results ? { results } : {}),
        ...(schedule === undefined ? {} : { schedule }),
        ...(since?.ok ? { compared: true, ...(since.value.sinceJobId ? { sinceJobId: since.value.sinceJobId } : {}) } : {}),
      },
      ...(since?.ok ? { comparison: since.value.comparison } : {}),
    });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    client.destroy();
    s3?.destroy();
    jobs?.client.destroy();
  }
  return 0;
}

export { ENQUEUE_FLAGS, ENQUEUE_USAGE, enqueueCommand };
