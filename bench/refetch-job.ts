// `npm run bench:refetch-job`: a scheduled list fetched again as jobs, through `local-sqs`,
// `batchfetch enqueue` and `batchfetch worker` (real child processes, as a user runs them), with
// every AWS API call counted by kind at a proxy in front of local-sqs (bench/aws-call-counter.ts)
// and priced at list prices per million URLs. BENCH_URLS (100,000) pages of BENCH_BODY_BYTES
// (32 KiB) on the loopback page server of bench:refetch (its own process on CPU 0; enqueuer and
// worker on CPU 1). Jobs, in order:
//   1. the first job of a series (`--schedule bench`): every URL new, every body hashed;
//   then 10 % of the pages change and 1 % break;
//   2. the series' next job: compared with job 1 (conditional requests, change classes);
//   3. the same list as a plain job (no comparison), for the baseline;
//   4. an unchanged re-run compared with job 2 (`--since-job`): what comparing costs in state.
// Reports per job: CPU per URL (enqueuer and worker processes, user + system), URLs/s, bytes from
// the page server, the change counts, each AWS call by kind with its price, and the total per
// million URLs. Results go to bench/results/refetch-job.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLine } from './first-line.ts';
import { DEFAULT_MESSAGE_URLS } from '../lib/schemas/queue-message.ts';
import { AwsCallCounter, lambdaComputePrice, priceOf, type CallTally } from './aws-call-counter.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/batchfetch.js');
const URLS = Number(process.env.BENCH_URLS ?? 100_000);
const BODY_BYTES = Number(process.env.BENCH_BODY_BYTES ?? 32_768);
const pinned = (cpu: number) => (existsSync('/usr/bin/taskset') && cpus().length > 1 ? ['/usr/bin/taskset', '-c', String(cpu)] : []);

/** Runs a command under bash and returns its children's CPU seconds (bash's `times`), stdout and stderr. */
function timed(command: string[]): Promise<{ cpuSeconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', '"$@" >&3; status=$?; times; exit $status', 'timed', ...command], {
      stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    });
    let times = '';
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => { times += String(chunk); });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => { stdout += String(chunk); });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`${command.join(' ')} exited ${code}`));
        return;
      }
      // `times` prints the shell's then its children's user and system time: `0m1.234s 0m0.567s`.
      const seconds = (text: string) => { const [, m, s] = /(\d+)m([\d.]+)s/.exec(text)!; return Number(m) * 60 + Number(s); };
      const [user, system] = times.trim().split('\n').at(-1)!.split(' ');
      resolve({ cpuSeconds: seconds(user!) + seconds(system!), stdout });
    });
  });
}

interface JobRun {
  readonly label: string;
  readonly cpuSeconds: number;
  readonly elapsedS: number;
  readonly serverBytes: number;
  readonly changes?: Record<string, unknown>;
  readonly calls: Map<string, CallTally>;
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), `batchfetch-refetch-job-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const children: ChildProcess[] = [];
  const pagesCommand = [...pinned(0), process.execPath, join(ROOT, 'bench/servers/versioned-pages.ts'), String(URLS), String(BODY_BYTES)];
  const pages = spawn(pagesCommand[0]!, pagesCommand.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(pages);
  const local = spawn(CLI, ['local-sqs', '--port', '0', '--dynamodb-port', '0', '--queue', 'jobs', '--visibility-timeout', '600'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(local);
  const counters: AwsCallCounter[] = [];
  try {
    const port = await new Promise<number>((resolve) => pages.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
    const base = `http://127.0.0.1:${port}`;
    const control = async (path: string, method = 'POST') => (await fetch(`${base}${path}`, { method })).text();
    const servers = JSON.parse(await firstLine(local)) as { endpoint: string; dynamodbEndpoint: string; resultsBucket: string; queues: { jobs: string } };
    const [sqsS3, dynamodb] = await Promise.all([AwsCallCounter.start(servers.endpoint), AwsCallCounter.start(servers.dynamodbEndpoint)]);
    counters.push(sqsS3, dynamodb);
    const connection = ['--endpoint', sqsS3.endpoint, '--dynamodb-endpoint', dynamodb.endpoint];
    const list = join(dir, 'urls.txt');
    writeFileSync(list, `${Array.from({ length: URLS }, (_, i) => `${base}/p/${i}`).join('\n')}\n`);

    const job = async (label: string, jobId: string, enqueueFlags: string[]): Promise<JobRun> => {
      await control('/reset-stats');
      sqsS3.reset();
      dynamodb.reset();
      const started = performance.now();
      const enqueued = await timed([...pinned(1), CLI, 'enqueue', list, '--queue-url', servers.queues.jobs, ...connection, '--job-id', jobId,
        '--results-bucket', servers.resultsBucket, ...enqueueFlags]);
      const worked = await timed([...pinned(1), CLI, 'worker', '--queue-url', servers.queues.jobs, ...connection, '--results-bucket', servers.resultsBucket,
        '--allow-network', '127.0.0.0/8', '--retries', '0', '--exit-when-empty', '--quiet']);
      const elapsedS = (performance.now() - started) / 1000;
      const calls = new Map([...sqsS3.calls, ...dynamodb.calls]);
      const status = await timed([CLI, 'job', 'status', jobId, '--json', ...connection]);
      const summary = JSON.parse(status.stdout) as { status: string; done: number; changes?: Record<string, unknown> };
      if (summary.status !== 'completed' || summary.done !== URLS) throw new Error(`job ${jobId} ended ${summary.status} with ${summary.done} of ${URLS}`);
      const { socketBytes } = JSON.parse(await control('/stats', 'GET')) as { socketBytes: number };
      return { label, cpuSeconds: enqueued.cpuSeconds + worked.cpuSeconds, elapsedS, serverBytes: socketBytes, calls, ...(summary.changes ? { changes: summary.changes } : {}) };
    };

    const runs: JobRun[] = [];
    runs.push(await job('1. first job of the series (every URL new, hashed)', 'bench-1', ['--schedule', 'bench']));
    await control('/mutate?changed=10&broken=1');
    runs.push(await job('2. next job, compared with job 1 (10 % changed, 1 % broken)', 'bench-2', ['--schedule', 'bench']));
    runs.push(await job('3. the same list, not compared', 'bench-3', []));
    runs.push(await job('4. unchanged re-run compared with job 2', 'bench-4', ['--since-job', 'bench-2']));

    const perMillion = (dollars: number) => (dollars * 1e6) / URLS;
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; ${URLS} URLs of ${BODY_BYTES}-byte pages on one loopback origin, ${DEFAULT_MESSAGE_URLS} URLs per message (the default); enqueuer and worker on one core, the page server on the other.`,
      '',
      '| job | CPU µs/URL (enqueue + worker) | URLs/s | bytes from the server | bytes / job 1 | changes | AWS calls $ per 1M URLs | Lambda compute $ per 1M URLs |',
      '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
      ...runs.map((run) => {
        const api = [...run.calls].reduce((sum, [operation, tally]) => sum + priceOf(operation, tally), 0);
        const changes = run.changes ? Object.entries(run.changes).filter(([key, value]) => key !== 'sinceJobId' && value !== 0).map(([key, value]) => `${key} ${String(value)}`).join(', ') : '—';
        return `| ${run.label} | ${((run.cpuSeconds * 1e6) / URLS).toFixed(1)} | ${Math.round(URLS / run.elapsedS)} | ${run.serverBytes} | ${(run.serverBytes / runs[0]!.serverBytes * 100).toFixed(1)} % `
          + `| ${changes} | ${perMillion(api).toFixed(4)} | ${perMillion(lambdaComputePrice(run.cpuSeconds)).toFixed(4)} |`;
      }),
      '',
      'AWS calls by kind (count; SQS: billed 64 KiB requests; $ per 1M URLs):',
      '',
      `| call | ${runs.map((run) => `job ${run.label.slice(0, 1)}`).join(' | ')} |`,
      `| --- | ${runs.map(() => '---:').join(' | ')} |`,
      ...[...new Set(runs.flatMap((run) => [...run.calls.keys()]))].sort().map((operation) => `| ${operation} | ${runs.map((run) => {
        const tally = run.calls.get(operation);
        if (!tally) return '0';
        const count = operation.startsWith('SQS ') ? `${tally.count} (${tally.billed})` : String(tally.count);
        return `${count}; $${perMillion(priceOf(operation, tally)).toFixed(4)}`;
      }).join(' | ')} |`),
      '',
      'DynamoDB is priced at 2 write units per write and 1 read unit per read (on demand); Lambda compute as the measured CPU seconds at one vCPU (1,769 MB, arm64). One EventBridge event per job ($0.000001) is not in the table: local runs announce on stderr.',
    ];
    const text = `${lines.join('\n')}\n`;
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/refetch-job.md'), text);
    process.stdout.write(text);
  } finally {
    await Promise.all(counters.map((counter) => counter.close()));
    for (const child of children) child.kill('SIGTERM');
  }
}

await main();
