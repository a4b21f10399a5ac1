import packageJson from '../package.json' with { type: 'json' };
import { InvalidOptionError } from '../lib/index.ts';
import { enqueueCommand, ENQUEUE_USAGE } from './commands/enqueue.ts';
import { jobCommand, jobsCommand, JOB_USAGE } from './commands/job.ts';
import { localSqsCommand, LOCAL_SQS_USAGE } from './commands/local-sqs.ts';
import { runCommand, RUN_USAGE } from './commands/run.ts';
import { workerCommand, WORKER_USAGE } from './commands/worker.ts';
import { describeOptionError } from './fetch-flags.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `batchfetch: fetch large batches of URLs with bounded concurrency, safely.

Usage:
  batchfetch run FILE [options]       fetch every URL in FILE (- for stdin) through an embedded queue
  batchfetch enqueue FILE --queue-url URL   send FILE's URLs to an SQS queue (a deployment's)
  batchfetch worker --queue-url URL   consume a queue outside Lambda (containers, local emulators)
  batchfetch jobs                     list jobs; batchfetch job status|wait|results|redrive ID
  batchfetch local-sqs [--port N]     run local SQS, S3 and DynamoDB servers on their own
  batchfetch help [COMMAND]           show this help, or one command's
  batchfetch --version                the version

${RUN_USAGE}
${ENQUEUE_USAGE}
${WORKER_USAGE}
${JOB_USAGE}
${LOCAL_SQS_USAGE}`;

/**
 * One line for a failure that is not a usage mistake (an AWS error, an unreachable endpoint):
 * the stack of a minified bundle helps no one; BATCHFETCH_DEBUG=1 prints it.
 */
function describeFailure(error: unknown): string {
  if (process.env.BATCHFETCH_DEBUG === '1') return (error as Error)?.stack ?? String(error);
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const name = error.name !== 'Error' ? error.name : typeof code === 'string' ? code : undefined;
  const cause = error.cause instanceof Error && error.cause.message !== error.message ? ` (${error.cause.message})` : '';
  return `${name ? `${name}: ` : ''}${error.message || 'failed'}${cause}`;
}

/** `batchfetch help run` and `batchfetch run --help` print the same text. */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  run: RUN_USAGE, enqueue: ENQUEUE_USAGE, worker: WORKER_USAGE, 'local-sqs': LOCAL_SQS_USAGE, jobs: JOB_USAGE, job: JOB_USAGE,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case '--version':
    case '-V':
    case 'version':
      process.stdout.write(`batchfetch ${packageJson.version} (Node.js ${process.versions.node})\n`);
      return 0;
    case 'run':
      return runCommand(rest);
    case 'enqueue':
      return enqueueCommand(rest);
    case 'worker':
      return workerCommand(rest);
    case 'local-sqs':
      return localSqsCommand(rest);
    case 'jobs':
      return jobsCommand(rest);
    case 'job':
      return jobCommand(rest);
    case 'help': {
      const topic = rest[0];
      if (topic !== undefined && COMMAND_USAGE[topic] === undefined) throw new UsageError(`no help for '${topic}': commands are ${Object.keys(COMMAND_USAGE).join(', ')}`);
      process.stdout.write(topic === undefined ? USAGE : COMMAND_USAGE[topic]!);
      return 0;
    }
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof InvalidOptionError) {
    const message = error instanceof InvalidOptionError ? describeOptionError(error) : error.message;
    process.stderr.write(`batchfetch: ${message}\nRun 'batchfetch --help' for usage.\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`batchfetch: ${describeFailure(error)}\n`);
    process.exitCode = 1;
  }
}
