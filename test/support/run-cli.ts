import { fileURLToPath } from 'node:url';
import { cliEnv } from './bundles.ts';
import { spawnTracked, stopChild } from './children.ts';

const CLI = fileURLToPath(new URL('../../bin/batchfetch.js', import.meta.url));

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI (its bundle) in a child process, as a user would; killed (with its group) after `timeoutMs`. */
function runCli(args: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // Executed through its shebang, as npx does.
    const child = spawnTracked(CLI, args, { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout += String(chunk); });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += String(chunk); });
    const timer = setTimeout(() => stopChild(child), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? '');
  });
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

export { jsonLines, runCli };
