import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENQUEUE_FLAGS } from '../../bin/commands/enqueue.ts';
import { JOB_FLAGS } from '../../bin/commands/job.ts';
import { LOCAL_SQS_FLAGS } from '../../bin/commands/local-sqs.ts';
import { RUN_FLAGS } from '../../bin/commands/run.ts';
import { WORKER_FLAGS } from '../../bin/commands/worker.ts';
import { readConsumerConfig, readEnqueueConfig } from '../../lib/config/env-config.ts';

/*
 * The docs and the code name the same flags and environment variables: every one a command or a
 * function accepts is documented, and every one the docs name exists.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOC_FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const docs = DOC_FILES.map(read).join('\n');

/** Source files, recursively, as text. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|js|mjs)$/.test(name))
    .map((name) => read(join(dir, name)));
}

const COMMAND_FLAGS: Record<string, object> = {
  run: RUN_FLAGS, worker: WORKER_FLAGS, enqueue: ENQUEUE_FLAGS, job: JOB_FLAGS, 'local-sqs': LOCAL_SQS_FLAGS,
};
/** Handled by the CLI itself before any command (bin/cli.ts). */
const GLOBAL_FLAGS = ['version', 'help'];
/** Flags of other programs the docs show: curl, Node, the AWS CLI. */
const OTHER_PROGRAMS_FLAGS = [
  'parallel', 'parallel-max', 'enable-source-maps', 'expose-gc',
  'stack-name', 'query', 'output', 'message-body', 'function-name', 'cli-binary-format', 'payload', 'invocation-type', 'cli-read-timeout',
  'language', // cdk init's
];

/** Every environment variable name a reader asks its env for. */
function variablesRead(reader: (env: Record<string, string | undefined>) => unknown): string[] {
  const asked = new Set<string>();
  const env = new Proxy({}, {
    get: (_target, name) => {
      if (typeof name === 'string') asked.add(name);
      return undefined;
    },
  });
  try {
    reader(env);
  } catch {
    // required variables missing: what was asked is all we need
  }
  return [...asked];
}

describe('the docs match the code', () => {
  test.each(Object.entries(COMMAND_FLAGS))('every flag of `%s` is documented', (_command, flags) => {
    const undocumented = Object.keys(flags).filter((flag) => !docs.includes(`--${flag}`));

    expect(undocumented).toStrictEqual([]);
  });

  test('every --flag the docs name is a flag of some command', () => {
    const known = new Set([...Object.values(COMMAND_FLAGS).flatMap((flags) => Object.keys(flags)), ...GLOBAL_FLAGS, ...OTHER_PROGRAMS_FLAGS]);
    const named = [...docs.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((match) => match[1]!);

    expect(named.length).toBeGreaterThan(40);
    expect([...new Set(named.filter((flag) => !known.has(flag)))]).toStrictEqual([]);
  });

  test('every environment variable the functions and the CLI read is documented', () => {
    const fromConfig = [...variablesRead(readConsumerConfig), ...variablesRead(readEnqueueConfig)];
    const fromCode = [...sources('functions'), ...sources('bin')].flatMap((text) => [...text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)].map((match) => match[1]!));
    const read = new Set([...fromConfig, ...fromCode]);

    expect(read.size).toBeGreaterThan(15);
    expect([...read].filter((name) => !docs.includes(name)).sort()).toStrictEqual([]);
  });

  test('every environment variable in the configuration tables exists in the code', () => {
    const code = [...sources('lib'), ...sources('functions'), ...sources('bin'), ...sources('infra'), ...sources('bench')].join('\n');
    // Rows of the docs' tables whose first cell is a variable: `NAME` | …
    const documented = [...docs.matchAll(/^\| `([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/gm)].map((match) => match[1]!);

    expect(documented.length).toBeGreaterThan(15);
    expect(documented.filter((name) => !code.includes(name))).toStrictEqual([]);
  });
});
