import packageJson from '../package.json' with { type: 'json' };
import { InvalidOptionError } from '../lib/core/errors.ts';
import { describeOptionError } from './fetch-flags.ts';
import { UsageError } from './usage-error.ts';

interface Command {
  readonly main: (args: string[]) => Promise<number>;
  readonly usage: string;
}

/**
 * Each command is loaded when it runs (a chunk of the bundle of its own): `run` never loads the
 * AWS SDK or the SQS/DynamoDB servers, `--version` loads nothing.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  run: async () => { const m = await import('./commands/run.ts'); return { main: m.runCommand, usage: m.RUN_USAGE }; },
  enqueue: async () => { const m = await import('./commands/enqueue.ts'); return { main: m.enqueueCommand, usage: m.ENQUEUE_USAGE }; },
  worker: async () => { const m = await import('./commands/worker.ts'); return { main: m.workerCommand, usage: m.WORKER_USAGE }; },
  jobs: async () => { const m = await import('./commands/job.ts'); return { main: m.jobsCommand, usage: m.JOB_USAGE }; },
  job: async () => { const m = await import('./commands/job.ts'); return { main: m.jobCommand, usage: m.JOB_USAGE }; },
  'local-sqs': async () => { const m = await import('./commands/local-sqs.ts'); return { main: m.localSqsCommand, usage: m.LOCAL_SQS_USAGE }; },
};

/** The whole help: the command list, then each command's usage (`jobs` and `job` share one). */
async function usage(): Promise<string> {
  const [run, enqueue, worker, job, localSqs] = await Promise.all(['run', 'enqueue', 'worker', 'job', 'local-sqs'].map((name) => COMMANDS[name]!()));
  return `batchfetch: fetch large batches of URLs with bounded concurrency, safely.

Usage:
  batchfetch run FILE [options]       fetch every URL in FILE (- for stdin) through an embedded queue
  batchfetch enqueue FILE --queue-url URL   send FILE's URLs to an SQS queue (a deployment's)
  batchfetch worker --queue-url URL   consume a queue outside Lambda (containers, local emulators)
  batchfetch jobs                     list jobs; batchfetch job status|wait|results|changes|redrive ID
  batchfetch local-sqs [--port N]     run local SQS, S3 and DynamoDB servers on their own
  batchfetch help [COMMAND]           show this help, or one command's
  batchfetch --version                the version

${run!.usage}
${enqueue!.usage}
${worker!.usage}
${job!.usage}
${localSqs!.usage}`;
}

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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case '--version':
    case '-V':
    case 'version':
      process.stdout.write(`batchfetch ${packageJson.version} (Node.js ${process.versions.node})\n`);
      return 0;
    case 'help': {
      // `batchfetch help run` and `batchfetch run --help` print the same text.
      const topic = rest[0];
      if (topic !== undefined && !Object.hasOwn(COMMANDS, topic)) throw new UsageError(`no help for '${topic}': commands are ${Object.keys(COMMANDS).join(', ')}`);
      process.stdout.write(topic === undefined ? await usage() : (await COMMANDS[topic]!()).usage);
      return 0;
    }
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(await usage());
      return 0;
    default: {
      if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command '${command}'`);
      return (await COMMANDS[command]!()).main(rest);
    }
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
