import { startEmbeddedSqs } from '../local/embedded-sqs.ts';
import { integerFlag, parseCommandArgs } from '../usage-error.ts';

const LOCAL_SQS_USAGE = `batchfetch local-sqs [--port N] [--host ADDR] [--queue NAME ...] [--visibility-timeout S] [--max-receive-count N]
  Runs the embedded SQS-protocol server (fauxqs) on 127.0.0.1 (or --host) until SIGINT/SIGTERM, for
  \`batchfetch worker\` and \`enqueue\` with --endpoint. Prints one JSON line: the endpoint and the
  URLs of the queues created with --queue (default port 4566, visibility timeout 30 s), each with
  a dead-letter queue NAME-dlq after --max-receive-count deliveries (default 5).
`;

async function localSqsCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      queue: { type: 'string', multiple: true },
      'visibility-timeout': { type: 'string' },
      'max-receive-count': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (parsed.values.help) {
    process.stdout.write(LOCAL_SQS_USAGE);
    return 0;
  }
  const visibility = integerFlag('visibility-timeout', parsed.values['visibility-timeout'], { min: 0, max: 43_200 }) ?? 30;
  // Loopback unless asked: whoever reaches this server can add URLs for a worker to fetch.
  const sqs = await startEmbeddedSqs(integerFlag('port', parsed.values.port, { min: 0, max: 65_535 }) ?? 4566, parsed.values.host ?? '127.0.0.1');
  const maxReceiveCount = integerFlag('max-receive-count', parsed.values['max-receive-count'], { min: 1, max: 1000 }) ?? 5;
  const queues: Record<string, string> = {};
  for (const name of parsed.values.queue ?? []) {
    const dlq = await sqs.createQueue(`${name}-dlq`, { MessageRetentionPeriod: '1209600' });
    queues[`${name}-dlq`] = dlq.queueUrl;
    queues[name] = (await sqs.createQueue(name, {
      VisibilityTimeout: String(visibility),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount }),
    })).queueUrl;
  }
  process.stdout.write(`${JSON.stringify({ endpoint: sqs.endpoint, queues })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve).once('SIGTERM', resolve);
  });
  await sqs.stop();
  return 0;
}

export { localSqsCommand, LOCAL_SQS_USAGE };
