import { enqueueRequests, SqsSender } from '../../lib/index.ts';
import { streamLines } from '../../lib/enqueue/enqueue-sources.ts';
import { cliSqsClient } from '../sqs-client.ts';
import { openInput } from '../cli-streams.ts';
import { integerFlag, parseCommandArgs, UsageError } from '../usage-error.ts';
import { OPTION_RANGES } from '../../lib/config/option-ranges.ts';

const ENQUEUE_USAGE = `batchfetch enqueue FILE --queue-url URL [options]
  Sends the URLs of FILE (- for stdin; the format of \`run\`) to an SQS queue as batchfetch
  messages, with the same code as the enqueue Lambda function. Invalid lines are reported, not sent.

  --queue-url URL        the queue (required)
  --endpoint URL         an SQS-compatible endpoint (a local emulator), instead of AWS;
                         placeholder credentials are used unless AWS_ACCESS_KEY_ID is set
  --region REGION        AWS region (default: AWS_REGION, else us-east-1)
  --message-urls N       URLs per message (default 100)
`;

async function enqueueCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      'queue-url': { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      'message-urls': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(ENQUEUE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('enqueue expects exactly one FILE (use - for stdin)');
  if (!values['queue-url']) throw new UsageError('enqueue needs --queue-url');
  const maxUrls = integerFlag('message-urls', values['message-urls'], OPTION_RANGES.messageUrls) ?? 100;
  const path = positionals[0]!;
  const input = await openInput(path);
  const client = cliSqsClient({ endpoint: values.endpoint, region: values.region });
  try {
    const summary = await enqueueRequests(streamLines(input), new SqsSender({ client, queueUrl: values['queue-url'] }), { maxUrls });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    client.destroy();
  }
  return 0;
}

export { enqueueCommand, ENQUEUE_USAGE };
