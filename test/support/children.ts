import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/*
 * Child processes a test file starts, stopped when the file ends however it ends (a failed
 * assertion, a timeout): each child leads a process group of its own, and the whole group is
 * killed after the file's last test, grandchildren included. Jest gives every test file its own
 * module registry, so this afterAll is registered once per file that starts a child.
 */
const started = new Set<ChildProcess>();

afterAll(() => {
  for (const child of started) stopChild(child);
});

/** Kills a child started by `spawnTracked` and everything it started. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // its group is gone; the child itself may not be
  }
}

/**
 * `spawn` in a process group of its own, stopped with the test file. When the child exits (or a
 * test kills it alone), what is left of its group goes too: the CLI launcher runs some commands
 * (`local-sqs`, `run --since`) in a child of its own, which would outlive a SIGKILLed launcher and
 * hold the test's pipes open.
 */
function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  started.add(child);
  child.once('exit', () => {
    started.delete(child);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is empty: nothing was left behind
    }
  });
  return child;
}

export { spawnTracked, stopChild };
