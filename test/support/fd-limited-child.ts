import { fileURLToPath } from 'node:url';
import { spawnTracked } from './children.ts';

const SCRIPT = fileURLToPath(new URL('./fd-limited-fetch.ts', import.meta.url));

interface ChildReport {
  readonly byCode: Record<string, number>;
  readonly peakFds: number;
  readonly peakSockets: number;
  readonly maxSockets: number;
  readonly descriptorLimit: number;
  readonly stats: { open: number; peak: number; evicted: number; waited: number; exhausted: number };
}

/** Runs fd-limited-fetch.ts in a child process whose open-file limit is `limit` (`ulimit -n`). */
async function fetchUnderDescriptorLimit(limit: number, job: Record<string, unknown>): Promise<ChildReport> {
  const child = spawnTracked('sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, SCRIPT, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += String(chunk); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += String(chunk); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`child exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as ChildReport;
}

export { fetchUnderDescriptorLimit };
export type { ChildReport };
