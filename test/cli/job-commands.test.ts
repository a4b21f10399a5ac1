import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { firstLine, startLocalSqs } from '../support/cli-process.ts';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { tempDir } from '../support/temp-dir.ts';

interface LocalServers {
  readonly endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly resultsBucket: string;
  readonly queues: { readonly small: string };
}

/* `jobs` and `job …` on small finished jobs, as a new user meets them: each a real child process. */
describe('the job commands on finished jobs', () => {
  let server: TestServer;
  let local: ChildProcess;
  let servers: LocalServers;

  beforeAll(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/gone': routes.text('gone', 410) });
    local = startLocalSqs(['--queue', 'small']);
    servers = JSON.parse(await firstLine(local)) as LocalServers;
  }, 60_000);

  afterAll(async () => {
    local.kill('SIGKILL');
    await server.close();
  });

  const connection = () => ['--endpoint', servers.endpoint, '--dynamodb-endpoint', servers.dynamodbEndpoint];

  /**
   * Enqueues `urls` as job `jobId` (with `enqueueFlags`) and runs a worker until the queue is
   * empty, writing to `--out` unless `workerFlags` say otherwise.
   */
  async function finishedJob(jobId: string, urls: string[], enqueueFlags: string[] = [], workerFlags?: string[]): Promise<void> {
    const enqueued = await runCli(['enqueue', '-', '--queue-url', servers.queues.small, ...connection(), '--job-id', jobId, ...enqueueFlags], { stdin: urls.join('\n') });
    expect(enqueued.code).toBe(0);
    const destination = workerFlags ?? ['--out', join(tempDir('batchfetch-job-commands-'), 'results.jsonl')];
    const worker = await runCli(['worker', '--queue-url', servers.queues.small, ...connection(), ...destination, '--allow-network', '127.0.0.0/8',
      '--retries', '0', '--exit-when-empty', '--quiet'], { timeoutMs: 60_000 });
    expect(worker.code).toBe(0);
  }

  test('`jobs --json` lists only what it knows from job headers, each field as `job status --json` has it', async () => {
    await finishedJob('listed-1', [server.url('/ok?1'), server.url('/ok?2'), server.url('/gone')]);

    const listing = await runCli(['jobs', '--json', ...connection()]);
    const status = await runCli(['job', 'status', 'listed-1', '--json', ...connection()]);

    expect(listing.code).toBe(0);
    const listed = jsonLines(listing.stdout).find((job) => job.jobId === 'listed-1')!;
    const summary = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ status: 'completed', total: 3, done: 3, counts: { ok: 2, failed: 1 } });
    expect(listed).toMatchObject({ jobId: 'listed-1', status: 'completed', total: 3 });
    for (const count of ['done', 'counts', 'bytes', 'latencyMs', 'urlsPerSecond', 'changes']) expect(listed).not.toHaveProperty(count);
    for (const [field, value] of Object.entries(listed)) expect([field, value]).toStrictEqual([field, summary[field]]);
  }, 90_000);

  test('`job results` of a job without records in a bucket is an error naming why (exit 1), not empty output', async () => {
    await finishedJob('no-bucket-1', [server.url('/ok?a')]);
    await finishedJob('elsewhere-1', [server.url('/ok?b')], ['--results-bucket', servers.resultsBucket]);

    const [noBucket, elsewhere] = await Promise.all([runCli(['job', 'results', 'no-bucket-1', ...connection()]), runCli(['job', 'results', 'elsewhere-1', ...connection()])]);

    expect([noBucket.code, noBucket.stdout]).toStrictEqual([1, '']);
    expect(noBucket.stderr).toBe("batchfetch: job no-bucket-1 has no results bucket: its records went to the consumers' logs or --out files\n");
    expect([elsewhere.code, elsewhere.stdout]).toStrictEqual([1, '']);
    expect(elsewhere.stderr).toBe(`batchfetch: job elsewhere-1 counted 1 record, but s3://${servers.resultsBucket}/results/job=elsewhere-1/ holds none: `
      + 'its workers wrote them elsewhere (worker --out, or no --results-bucket)\n');
  }, 90_000);

  test('`job status` as text shows a compared job\'s change counts, as --json has them', async () => {
    const bucket = ['--results-bucket', servers.resultsBucket];
    await finishedJob('base-1', [server.url('/ok?x'), server.url('/ok?y')], bucket, bucket);
    await finishedJob('compared-1', [server.url('/ok?x'), server.url('/ok?z')], [...bucket, '--since-job', 'base-1'], bucket);

    const [text, json] = await Promise.all([runCli(['job', 'status', 'compared-1', ...connection()]), runCli(['job', 'status', 'compared-1', '--json', ...connection()])]);

    expect(JSON.parse(json.stdout)).toMatchObject({ changes: { sinceJobId: 'base-1', new: 1, unknown: 1, missing: 1 } });
    expect(text.stdout.split('\n')).toContain('changes since base-1: new 1, unchanged 0, changed 0, broke 0, recovered 0, still-failing 0, unknown 1, missing 1');
  }, 120_000);
});
