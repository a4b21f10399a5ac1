import { readdirSync, readFileSync } from 'node:fs';
import { stopChild } from '../support/children.ts';
import { firstLine, startLocalSqs } from '../support/cli-process.ts';

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
});
