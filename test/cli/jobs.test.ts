import type { ChildProcess } from 'node:child_process';
import { exited, firstLine, startCli } from '../support/cli-process.ts';
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
    local = startCli(['local-sqs', '--port', '0', '--dynamodb-port', '0', '--queue', 'jobs', '--visibility-timeout', '2']);
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

  test('a worker killed mid-batch and a second one: the job counts every URL once and completes', async () => {
    const urls = [...Array.from({ length: 180 }, (_, i) => server.url(`/slow?i=${i}`)), ...Array.from({ length: 20 }, (_, i) => server.url(`/gone?i=${i}`))];
    const enqueued = await runCli(['enqueue', '-', '--queue-url', servers.queues.jobs, ...connection(), '--job-id', 'nightly-1',
      '--results-bucket', servers.resultsBucket, '--message-urls', '10'], { stdin: urls.join('\n') });
    expect(JSON.parse(enqueued.stdout)).toMatchObject({ jobId: 'nightly-1', urls: 200, messages: 20 });
    expect(await status('nightly-1')).toMatchObject({ jobId: 'nightly-1', status: 'running', total: 200, done: 0 });

    const first = startCli(workerArgs());
    children.push(first);
    expect(await eventually(() => server.hitsOf('/slow') >= 40, 30_000)).toBe(true);
    first.kill('SIGKILL');
    await exited(first);

    const second = startCli(workerArgs());
    children.push(second);
    const { code, stderr } = await exited(second);
    expect(code).toBe(0);
    expect(stderr).toContain('job nightly-1 completed: 200 URLs, 180 ok, 20 failed');

    const done = await runCli(['job', 'wait', 'nightly-1', ...connection()]);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({
      jobId: 'nightly-1', status: 'completed', total: 200, done: 200, counts: { ok: 180, failed: 20, byCode: { HTTP_STATUS: 20 } },
    });

    // Its records, one per URL (S3 objects are per message and replaced on redelivery).
    const records = jsonLines((await runCli(['job', 'results', 'nightly-1', ...connection()])).stdout);
    expect(new Set(records.map((record) => record.url)).size).toBe(200);
    expect(records).toHaveLength(200);
  }, 120_000);

  test('job redrive re-enqueues the failed URLs as a new job linked to the first', async () => {
    server.route('/gone', routes.text('back'));
    const redriven = await runCli(['job', 'redrive', 'nightly-1', '--codes', 'HTTP_STATUS', '--queue-url', servers.queues.jobs, ...connection()]);
    expect(redriven.code).toBe(0);
    const { jobId, urls } = JSON.parse(redriven.stdout) as { jobId: string; urls: number };
    expect(urls).toBe(20);

    expect((await exited(startCli(workerArgs()))).code).toBe(0);

    expect(await status(jobId)).toMatchObject({ status: 'completed', total: 20, counts: { ok: 20, failed: 0 }, parentJobId: 'nightly-1' });
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
});
