import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cliEnv } from './bundles.ts';
import { spawnTracked } from './children.ts';

const CLI = fileURLToPath(new URL('../../bin/batchfetch.js', import.meta.url));

/**
 * Starts the CLI (its bundle) as a long-running child (local-sqs, worker), with the pinned Node on
 * PATH; stopped with the test file at the latest.
 */
function startCli(args: string[]): ChildProcess {
  return spawnTracked(CLI, args, { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `batchfetch local-sqs` on ports chosen by the system (never the fixed default DynamoDB port). */
function startLocalSqs(args: string[]): ChildProcess {
  return startCli(['local-sqs', '--port', '0', '--dynamodb-port', '0', ...args]);
}

/** The first line a child prints on stdout (local-sqs prints its endpoint and queues). */
async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout!) {
    text += String(chunk);
    if (text.includes('\n')) return text.split('\n')[0]!;
  }
  throw new Error('the process printed nothing');
}

/** Resolves with the exit code; collects stderr. */
function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += String(chunk); });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

export { exited, firstLine, startCli, startLocalSqs };
