// Finds processes a test run left behind: those still in the run's process group, and those that
// carry the run's marker in their environment (a child started in a group of its own still
// inherits it). Linux only: it reads /proc; elsewhere it finds nothing and says so.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

interface Leftover {
  readonly pid: number;
  readonly command: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return fallback; // the process ended while we looked, or is not ours to read
  }
}

/** Processes in process group `group` or whose environment holds `marker=value`. */
function leftoverProcesses(group: number, marker: string): Leftover[] | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const found: Leftover[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const stat = readOr(`/proc/${pid}/stat`, '');
    // Fields after the parenthesised command name: state, ppid, pgrp (proc(5)).
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    const marked = readOr(`/proc/${pid}/environ`, '').split('\0').includes(marker);
    if (pgrp === group || marked) {
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state === 'Z') continue; // a zombie holds nothing but its exit status
      found.push({ pid, command: readOr(`/proc/${pid}/cmdline`, '?').split('\0').join(' ').trim() });
    }
  }
  return found;
}

export { leftoverProcesses, type Leftover };
