// What the job benches run on: the page server of bench:refetch (its own process), `batchfetch
// local-sqs` (SQS, S3 and DynamoDB), a fault proxy in front of its S3 (test/support/s3-faults.ts)
// that every CLI process goes through, and a list of the pages in a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLine } from './first-line.ts';
import { S3FaultProxy } from '../test/support/s3-faults.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/batchfetch.js');

interface JobStack {
  /** The page server's base URL (`/p/N`, `POST /mutate?changed=C&broken=B`). */
  readonly base: string;
  readonly servers: { readonly endpoint: string; readonly dynamodbEndpoint: string; readonly resultsBucket: string; readonly queues: { readonly jobs: string } };
  readonly proxy: S3FaultProxy;
  /** `--endpoint` (through the proxy) and `--dynamodb-endpoint`. */
  readonly connection: readonly string[];
  /** The list of every page, one URL a line. */
  readonly list: string;
  /** Processes started for the bench, stopped by `close`. */
  readonly children: ChildProcess[];
  /** Runs the CLI to its end: stdout and wall seconds, or an error with its stderr. */
  readonly cli: (args: readonly string[]) => Promise<{ readonly stdout: string; readonly seconds: number }>;
  close(): Promise<void>;
}

async function startJobStack(options: { readonly pages: number; readonly bodyBytes: number; readonly visibilityTimeoutS: number }): Promise<JobStack> {
  const dir = join(tmpdir(), `batchfetch-job-stack-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const children: ChildProcess[] = [];
  const pages = spawn(process.execPath, [join(ROOT, 'bench/servers/versioned-pages.ts'), String(options.pages), String(options.bodyBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(pages);
  const local = spawn(CLI, ['local-sqs', '--port', '0', '--dynamodb-port', '0', '--queue', 'jobs', '--visibility-timeout', String(options.visibilityTimeoutS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(local);
  const stop = () => { for (const child of children) if (child.exitCode === null) child.kill('SIGTERM'); };
  try {
    const port = await new Promise<number>((resolve) => pages.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
    const base = `http://127.0.0.1:${port}`;
    const servers = JSON.parse(await firstLine(local)) as JobStack['servers'];
    const proxy = await S3FaultProxy.start(servers.endpoint);
    const list = join(dir, 'urls.txt');
    writeFileSync(list, `${Array.from({ length: options.pages }, (_, i) => `${base}/p/${i}`).join('\n')}\n`);
    return {
      base, servers, proxy, list, children,
      connection: ['--endpoint', proxy.endpoint, '--dynamodb-endpoint', servers.dynamodbEndpoint],
      cli: (args) => runCli(args),
      async close() {
        await proxy.close();
        stop();
      },
    };
  } catch (error) {
    stop();
    throw error;
  }
}

function runCli(args: readonly string[]): Promise<{ stdout: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += String(chunk); });
    child.stderr.on('data', (chunk: Buffer) => { err += String(chunk); });
    child.once('exit', (code) => (code === 0
      ? resolve({ stdout: out, seconds: (performance.now() - started) / 1000 })
      : reject(new Error(`batchfetch ${args[0]} exited ${code}: ${err.slice(-2_000)}`))));
  });
}

export { CLI, startJobStack };
export type { JobStack };
