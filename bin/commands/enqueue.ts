import { SqsSender } from '../../lib/queue/sqs-sender.ts';
import { sqsQueueApi } from '../../lib/queue/sqs-queue-api.ts';
import { streamLines } from '../../lib/enqueue/enqueue-sources.ts';
import { enqueueList } from '../../lib/enqueue/enqueue-job.ts';
import { DEFAULT_RESULTS_PREFIX, jobResultsLocation } from '../../lib/jobs/job-ref.ts';
import { OPTION_RANGES } from '../../lib/core/option-ranges.ts';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, jobStoreFrom, sqsClientFrom } from '../aws-clients.ts';
import { openInput } from '../cli-streams.ts';
import { integerFlag, jobIdFlag, parseCommandArgs, UsageError } from '../usage-error.ts';

const ENQUEUE_USAGE = `batchfetch enqueue FILE --queue-url URL [options]
  Sends the URLs of FILE (- for stdin; the format of \`run\`) to an SQS queue as batchfetch
  messages, with the same code as the enqueue Lambda function. Invalid lines are reported, not sent.
  With a jobs table, it starts a job (printed as jobId) that \`batchfetch job status\` follows.

  --queue-url URL        the queue (required)
  --message-urls N       URLs per message (default 100)
  --job-id ID            the job's id (default: generated); enqueueing an id again sends nothing
  --tolerated-failure-percentage P  the job ends failed when more than P % of its URLs fail
  --results-bucket NAME  where the consumers store results (worker --results-bucket), recorded
                         on the job for \`job results\` and \`job redrive\`
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
  const maxUrls = integerFlag('message-urls', values['message-urls'], OPTION_RANGES.messageUrls) ?? 100;
  const tolerated = integerFlag('tolerated-failure-percentage', values['tolerated-failure-percentage'], OPTION_RANGES.toleratedFailurePercentage);
  const jobs = jobStoreFrom(values);
  if (!jobs && (values['job-id'] !== undefined || tolerated !== undefined || values['results-bucket'])) {
    throw new UsageError('--job-id, --tolerated-failure-percentage and --results-bucket need --jobs-table or --dynamodb-endpoint');
  }
  const id = jobIdFlag(values['job-id']);
  const results = values['results-bucket'] ? jobResultsLocation(values['results-bucket'], DEFAULT_RESULTS_PREFIX, id) : undefined;
  const input = await openInput(positionals[0]!);
  const client = sqsClientFrom(values);
  try {
    const sender = new SqsSender({ queue: sqsQueueApi(client), queueUrl: values['queue-url'] });
    const summary = await enqueueList(streamLines(input), sender, { maxUrls }, jobs && {
      store: jobs.store,
      job: { jobId: id, ...(tolerated === undefined ? {} : { toleratedFailurePercentage: tolerated }), ...(results ? { results } : {}) },
    });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    client.destroy();
    jobs?.client.destroy();
  }
  return 0;
}

export { ENQUEUE_FLAGS, ENQUEUE_USAGE, enqueueCommand };
