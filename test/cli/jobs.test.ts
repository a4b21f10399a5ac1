import type { ChildProcess } from 'node:child_process';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { exited, firstLine, startCli, startLocalSqs } from '../support/cli-process.ts';
import { eventually } from '../support/eventually.ts';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';

interface LocalServers {
  readonly endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly jobsTable: string;
  readonly resultsBucket: string;
  readonly queues: { readonly jobs: string };
}

/*
 * Jobs end to end, as a person runs them: `local-sqs` (SQS, S3 and DynamoDB on loopback),
 * `enqueue --job-id`, workers (one killed with SIGKILL mid-batch), `job status`, `job wait`,
 * `job results`, `job redrive` and `jobs`, each a real child process.
 */
describe('jobs from the command line', () => {
  let server: TestServer;
  let local: ChildProcess;
  let servers: LocalServers;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    server = await TestServer.start({ '/slow': (_req, res) => { setTimeout(() => res.end('ok'), 30); }, '/gone': routes.text('gone', 410) });
    local = startLocalSqs(['--queue', 'jobs', '--visibility-timeout', '2']);
    servers = JSON.parse(await firstLine(local)) as LocalServers;
  }, 60_000);

  afterAll(async () => {
    for (const child of [...children, local]) child.kill('SIGKILL');
    await server.close();
  });

  const connection = () => ['--endpoint', servers.endpoint, '--dynamodb-endpoint', servers.dynamodbEndpoint];
  const workerArgs = () => ['worker', '--queue-url', servers.queues.jobs, ...connection(), '--results-bucket', servers.resultsBucket,
    '--allow-network', '127.0.0.0/8', '--retries', '0', '--batch-size', '2', '--concurrency', '4', '--exit-when-empty'];
  const status = async (jobId: string) => JSON.parse((await runCli(['job', 'status', jobId, '--json', ...connection()])).stdout) as Record<string, unknown>;

  test('10,000 URLs with duplicate sends, forced redeliveries, deadline continuations and a worker SIGKILLed mid-run: the job completes once, its counts equal its records', async () => {
    // 100 URLs answer only after 2 s the first time, so 1 s invocations cut them off and continue them.
    const slowOnce = new Set<string>();
    server.route('/slow-once', (req, res) => {
      const first = !slowOnce.has(req.url!);
      slowOnce.add(req.url!);
      setTimeout(() => res.end('late'), first ? 2_000 : 0);
    });
    server.route('/fast', routes.text('ok'));
    // Spread over the list (one of each per 100 URLs): all on one origin, 100 slow URLs in two
    // messages would take many hops through the per-origin cap of 6 connections.
    const urls = Array.from({ length: 10_000 }, (_, i) => {
      if (i % 100 === 25) return server.url(`/gone?i=${i}`);
      if (i % 100 === 50) return server.url(`/slow-once?i=${i}`);
      return server.url(`/fast?i=${i}`);
    });
    const enqueued = await runCli(['enqueue', '-', '--queue-url', servers.queues.jobs, ...connection(), '--job-id', 'nightly-1',
      '--results-bucket', servers.resultsBucket, '--message-urls', '50'], { stdin: urls.join('\n') });
    expect(JSON.parse(enqueued.stdout)).toMatchObject({ jobId: 'nightly-1', urls: 10_000, messages: 200 });
    expect(await status('nightly-1')).toMatchObject({ jobId: 'nightly-1', status: 'running', total: 10_000, done: 0 });

    // Duplicate sends: 20 messages sent a second time; the originals, received and not deleted,
    // come back after the 2 s visibility timeout (forced redeliveries).
    const sqs = new SQSClient({ endpoint: servers.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    for (let round = 0; round < 2; round++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: servers.queues.jobs, MaxNumberOfMessages: 10 }));
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: servers.queues.jobs, Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body! })) }));
    }
    sqs.destroy();

    const args = [...workerArgs(), '--invocation-timeout', '1000', '--concurrency', '32', '--batch-size', '10'];
    const first = startCli(args);
    children.push(first);
    const firstExit = exited(first);
    let firstEnded: { code: number | null; stderr: string } | undefined;
    void firstExit.then((ended) => { firstEnded = ended; });
    await eventually(() => server.hitsOf('/fast') >= 3_000 || firstEnded !== undefined, 60_000);
    if (firstEnded) throw new Error(`the first worker ended by itself (${firstEnded.code}):\n${firstEnded.stderr}`);
    first.kill('SIGKILL');
    await firstExit;

    const second = startCli(args);
    children.push(second);
    const { code, stderr } = await exited(second);
    if (code !== 0) throw new Error(`the second worker exited with ${code}:\n${stderr}`);
    const done = await runCli(['job', 'wait', 'nightly-1', ...connection()]);
    expect(JSON.parse(done.stdout).counts).toStrictEqual({ ok: 9_900, failed: 100, byCode: { HTTP_STATUS: 100 } });
    expect(stderr).toContain('job nightly-1 completed: 10000 URLs, 9900 ok, 100 failed');

    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({
      jobId: 'nightly-1', status: 'completed', total: 10_000, done: 10_000, counts: { ok: 9_900, failed: 100, byCode: { HTTP_STATUS: 100 } },
    });
    // The cut-off URLs did take the continuation path.
    expect(server.hitsOf('/slow-once')).toBeGreaterThan(100);

    // Its records: one per URL (an S3 object per message key, replaced when delivered again).
    const records = jsonLines((await runCli(['job', 'results', 'nightly-1', ...connection()], { timeoutMs: 60_000 })).stdout);
    expect(records).toHaveLength(10_000);
    expect(new Set(records.map((record) => record.url)).size).toBe(10_000);
    expect(records.filter((record) => record.ok)).toHaveLength(9_900);
    const s3 = new S3Client({ endpoint: servers.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const stored = await s3.send(new GetObjectCommand({ Bucket: servers.resultsBucket, Key: 'results/job=nightly-1/_summary.json' }));
    expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({ jobId: 'nightly-1', status: 'completed', done: 10_000 });
    s3.destroy();
  }, 180_000);

  test('job redrive re-enqueues the failed URLs as a new job linked to the first', async () => {
    server.route('/gone', routes.text('back'));
    const redriven = await runCli(['job', 'redrive', 'nightly-1', '--codes', 'HTTP_STATUS', '--queue-url', servers.queues.jobs, ...connection()], { timeoutMs: 60_000 });
    expect(redriven.code).toBe(0);
    const { jobId, urls } = JSON.parse(redriven.stdout) as { jobId: string; urls: number };
    expect(urls).toBe(100);

    expect((await exited(startCli(workerArgs()))).code).toBe(0);

    expect(await status(jobId)).toMatchObject({ status: 'completed', total: 100, counts: { ok: 100, failed: 0 }, parentJobId: 'nightly-1' });
    const listed = await runCli(['jobs', ...connection()]);
    expect(listed.stdout).toContain('nightly-1');
    expect(listed.stdout).toContain(jobId);
  }, 60_000);

  test('the same job id enqueued again sends nothing; an unknown job is a usage error', async () => {
    const again = await runCli(['enqueue', '-', '--queue-url', servers.queues.jobs, ...connection(), '--job-id', 'nightly-1'], { stdin: server.url('/slow') });
    expect(JSON.parse(again.stdout)).toMatchObject({ jobId: 'nightly-1', duplicate: true });

    const missing = await runCli(['job', 'status', 'no-such-job', ...connection()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no job 'no-such-job' in the jobs table");
  }, 30_000);

  test('job wait exits 3 when --timeout passes first, and 1 when the job ends failed', async () => {
    server.route('/teapot', routes.text('no', 418));
    const enqueued = await runCli(['enqueue', '-', '--queue-url', servers.queues.jobs, ...connection(), '--job-id', 'strict-1',
      '--results-bucket', servers.resultsBucket, '--tolerated-failure-percentage', '0'], { stdin: `${server.url('/teapot')}\n${server.url('/slow')}\n` });
    expect(enqueued.code).toBe(0);

    // No worker yet: the job is still running when the wait's time is up.
    const early = await runCli(['job', 'wait', 'strict-1', '--timeout', '1', ...connection()]);
    expect(early.code).toBe(3);
    expect(early.stderr).toContain('batchfetch: job strict-1 still running after 1 s');

    expect((await exited(startCli(workerArgs()))).code).toBe(0);
    const done = await runCli(['job', 'wait', 'strict-1', ...connection()]);
    expect(done.code).toBe(1);
    expect(JSON.parse(done.stdout)).toMatchObject({ jobId: 'strict-1', status: 'failed', counts: { ok: 1, failed: 1, byCode: { HTTP_STATUS: 1 } } });
  }, 60_000);
});
