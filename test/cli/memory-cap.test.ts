import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliEnv } from '../support/bundles.ts';
import { stopChild } from '../support/children.ts';
import { firstLine, startLocalSqs } from '../support/cli-process.ts';
import { eventually } from '../support/eventually.ts';

const CLI = fileURLToPath(new URL('../../bin/batchfetch.js', import.meta.url));

/** The command lines of the processes in a process group (Linux /proc). */
function commandLinesOf(group: number): string[][] {
  const lines: string[][] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // Fields after the command name (which may hold spaces), from `) `: state, ppid, pgrp.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === group) lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== ''));
    } catch {
      // the process ended while being read
    }
  }
  return lines;
}

describe('the CLI launcher caps V8\'s old generation only where memory is bounded', () => {
  test('local-sqs, which holds every message and object sent to it, runs without the cap', async () => {
    const local = startLocalSqs(['--queue', 'capped']);
    try {
      await firstLine(local);

      const serving = commandLinesOf(local.pid!).filter((args) => args.includes('local-sqs'));

      // The launcher (capped by its shebang) re-runs itself without the cap and waits.
      expect(serving.some((args) => !args.some((arg) => arg.startsWith('--max-old-space-size')))).toBe(true);
    } finally {
      stopChild(local);
    }
  });

  test('the uncapped child stops when the launcher is killed alone (kill -9), instead of serving on as an orphan', async () => {
    // Not spawnTracked: it kills a child's whole group when the child exits, which would hide an orphan.
    const local = spawn(CLI, ['local-sqs', '--port', '0', '--dynamodb-port', '0', '--queue', 'orphan'], {
      detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: cliEnv(),
    });
    try {
      await firstLine(local);
      const uncapped = () => commandLinesOf(local.pid!).filter((args) => args.includes('local-sqs') && !args.some((arg) => arg.startsWith('--max-old-space-size')));
      expect(uncapped()).toHaveLength(1);

      process.kill(local.pid!, 'SIGKILL');

      expect(await eventually(() => uncapped().length === 0, 10_000)).toBe(true);
    } finally {
      try {
        process.kill(-local.pid!, 'SIGKILL');
      } catch {
        // nothing left in the group
      }
    }
  });
});
