// `npm test`: prepares, type-checks, lints (ESLint with typescript-eslint's type-checked rules)
// and runs Jest, each step a child process in a process group of its own with a time limit, so
// that nothing a step starts can outlive it and the command always ends:
//   - a step past its limit is killed with its whole group, and the run fails saying which;
//   - Jest is given a short grace after its summary to exit by itself ("Jest did not exit one
//     second after the test run has completed" means something was left open); then it is killed
//     and the run fails;
//   - afterwards, any process still in Jest's group or carrying this run's marker in its
//     environment is listed, killed, and fails the run.
// Arguments after `npm test --` go to Jest (`npm test -- test/engine`).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leftoverProcesses } from './leftover-processes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MARKER = `BATCHFETCH_TEST_RUN=${randomUUID()}`;
const MINUTE = 60_000;
const JEST_EXIT_GRACE_MS = 30_000;

interface Step {
  readonly name: string;
  readonly args: string[];
  readonly limitMs: number;
  /** Where the step's own output goes when it fails (shown then), instead of the terminal. */
  readonly logFile?: string;
}

let current: ReturnType<typeof spawn> | undefined;
const killGroup = (pid: number | undefined) => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killGroup(current?.pid);
    process.exit(130);
  });
}

/** Runs one step; resolves with its exit code, or a reason it was stopped. */
function runStep(step: Step): Promise<{ code: number | null; stopped?: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, step.args, {
      cwd: ROOT,
      detached: true, // its own process group: killed as one, checked as one
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, [MARKER.split('=')[0]!]: MARKER.split('=')[1]! },
    });
    current = child;
    let stopped: string | undefined;
    const stop = (reason: string) => {
      stopped ??= reason;
      killGroup(child.pid);
    };
    const limit = setTimeout(() => stop(`it ran past its limit of ${step.limitMs / MINUTE} min`), step.limitMs);
    let grace: NodeJS.Timeout | undefined;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending = (pending + String(chunk)).slice(-4096);
      // The summary reporter's closing line: Jest has finished; it should now exit by itself.
      if (grace === undefined && /^tests: \d+ passed, \d+ failed/m.test(pending)) {
        grace = setTimeout(() => stop(`Jest did not exit within ${JEST_EXIT_GRACE_MS / 1000} s of its summary: a test left a server, timer or child open`), JEST_EXIT_GRACE_MS);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(limit);
      clearTimeout(grace);
      process.stdout.write(`[${step.name}: ${((Date.now() - started) / 1000).toFixed(1)} s]\n`);
      resolve({ code, ...(stopped === undefined ? {} : { stopped }), pid: child.pid! });
    });
  });
}

function fail(message: string, logFile?: string): never {
  if (logFile !== undefined && existsSync(logFile)) {
    const log = readFileSync(logFile, 'utf8').split('\n');
    process.stderr.write(`--- last lines of ${logFile} ---\n${log.slice(-80).join('\n')}\n---\n`);
  }
  process.stderr.write(`npm test: ${message}\n`);
  process.exit(1);
}

process.stdout.write(`Node ${process.version} (${process.execPath})\n`);
const prepareLog = join(ROOT, '.tmp', 'prepare.log');
const steps: Step[] = [
  { name: 'prepare: bundles', args: ['test/harness/prepare.ts', 'bundles'], limitMs: 5 * MINUTE, logFile: prepareLog },
  { name: 'prepare: aws-lambda-ric', args: ['test/harness/prepare.ts', 'lambda-ric'], limitMs: 20 * MINUTE, logFile: prepareLog },
  { name: 'typecheck', args: ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], limitMs: 10 * MINUTE },
  { name: 'lint', args: ['node_modules/eslint/bin/eslint.js', '--max-warnings', '0', '.'], limitMs: 10 * MINUTE },
  {
    name: 'jest',
    args: ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', ...process.argv.slice(2)],
    limitMs: 60 * MINUTE,
  },
];

for (const step of steps) {
  const { code, stopped, pid } = await runStep(step);
  // A process found twice, a few seconds apart, is left over; one that was ending is not.
  let leftovers = leftoverProcesses(pid, MARKER) ?? [];
  if (leftovers.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    leftovers = leftoverProcesses(pid, MARKER) ?? [];
  }
  for (const leftover of leftovers) {
    try {
      process.kill(leftover.pid, 'SIGKILL');
    } catch {
      // ended by itself meanwhile
    }
  }
  if (stopped !== undefined) fail(`step '${step.name}' was stopped: ${stopped}`, step.logFile);
  if (code !== 0) fail(`step '${step.name}' failed (exit ${String(code)})`, step.logFile);
  if (leftovers.length > 0) {
    fail(`step '${step.name}' left ${leftovers.length} process(es) running (now killed):\n${leftovers.map((p) => `  ${p.pid} ${p.command}`).join('\n')}`);
  }
}
