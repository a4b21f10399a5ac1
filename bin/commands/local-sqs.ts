import { startEmbeddedDynamoDb } from '../local/embedded-dynamodb.ts';
import { startEmbeddedSqs } from '../local/embedded-sqs.ts';
import { integerFlag, parseCommandArgs } from '../usage-error.ts';
import { OPTION_RANGES } from '../../lib/core/option-ranges.ts';

const LOCAL_SQS_USAGE = `batchfetch local-sqs [--port N] [--dynamodb-port N] [--host ADDR] [--queue NAME ...] [--visibility-timeout S] [--max-receive-count N]
  Runs local AWS stand-ins on 127.0.0.1 (or --host) until SIGINT/SIGTERM, for \`batchfetch worker\`,
  \`enqueue\` and the job commands: an SQS- and S3-protocol server (fauxqs, --port, default 4566)
  with a results bucket, and a DynamoDB-protocol server (dynalite, --dynamodb-port, default 4567)
  with the jobs table. Prints one JSON line: the endpoints, the bucket, the table, and the URLs of
  the queues created with --queue (visibility timeout 30 s), each with a dead-letter queue
  NAME-dlq after --max-receive-count deliveries (default 5).
`;

/** The bucket local-sqs creates for \`worker --results-bucket\`. */
const LOCAL_RESULTS_BUCKET = 'batchfetch-results';

/** The flags `local-sqs` accepts (parseArgs option specs); the docs test checks each is documented. */
const LOCAL_SQS_FLAGS = {
  port: { type: 'string' },
  'dynamodb-port': { type: 'string' },
  host: { type: 'string' },
  queue: { type: 'string', multiple: true },
  'visibility-timeout': { type: 'string' },
  'max-receive-count': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function localSqsCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args,
    options: LOCAL_SQS_FLAGS,
  });
  if (parsed.values.help) {
    process.stdout.write(LOCAL_SQS_USAGE);
    return 0;
  }
  const visibility = integerFlag('visibility-timeout', parsed.values['visibility-timeout'], OPTION_RANGES.visibilityTimeoutS) ?? 30;
  // Loopback unless asked: whoever reaches these servers can add URLs for a worker to fetch.
  const host = parsed.values.host ?? '127.0.0.1';
  const sqs = await startEmbeddedSqs(integerFlag('port', parsed.values.port, OPTION_RANGES.port) ?? 4566, host);
  const dynamodb = await startEmbeddedDynamoDb(integerFlag('dynamodb-port', parsed.values['dynamodb-port'], OPTION_RANGES.port) ?? 4567, host);
  sqs.createBucket(LOCAL_RESULTS_BUCKET);
  const maxReceiveCount = integerFlag('max-receive-count', parsed.values['max-receive-count'], OPTION_RANGES.maxReceiveCount) ?? 5;
  const queues: Record<string, string> = {};
  for (const name of parsed.values.queue ?? []) {
    const dlq = await sqs.createQueue(`${name}-dlq`, { MessageRetentionPeriod: '1209600' });
    queues[`${name}-dlq`] = dlq.queueUrl;
    queues[name] = (await sqs.createQueue(name, {
      VisibilityTimeout: String(visibility),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount }),
    })).queueUrl;
  }
  process.stdout.write(`${JSON.stringify({
    endpoint: sqs.endpoint, dynamodbEndpoint: dynamodb.endpoint, jobsTable: dynamodb.table, resultsBucket: LOCAL_RESULTS_BUCKET, queues,
  })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve).once('SIGTERM', resolve);
  });
  await Promise.all([sqs.stop(), dynamodb.stop()]);
  return 0;
}

export { LOCAL_SQS_FLAGS, LOCAL_SQS_USAGE, localSqsCommand };
