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

  /** Enqueues `urls` as job `jobId` and runs a worker until the queue is empty. */
  async function finishedJob(jobId: string, urls: string[], extra: string[] = []): Promise<void> {
    const enqueued = await runCli(['enqueue', '-', '--queue-url', servers.queues.small, ...connection(), '--job-id', jobId, ...extra], { stdin: urls.join('\n') });
    expect(enqueued.code).toBe(0);
    const out = join(tempDir('batchfetch-job-commands-'), 'results.jsonl');
    const bucket = extra.includes('--results-bucket') ? ['--results-bucket', servers.resultsBucket] : ['--out', out];
    const worker = await runCli(['worker', '--queue-url', servers.queues.small, ...connection(), ...bucket, '--allow-network', '127.0.0.0/8',
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
    expect(Object.keys(listed).sort()).toStrictEqual(['completedAt', 'createdAt', 'invalid', 'jobId', 'messages', 'status', 'total']);
    for (const [field, value] of Object.entries(listed)) expect([field, value]).toStrictEqual([field, summary[field]]);
  }, 90_000);
});
