import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEnv } from '../support/bundles.ts';
import { firstLine, startLocalSqs } from '../support/cli-process.ts';
import { runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { spawnTracked } from '../support/children.ts';
import { tempDir } from '../support/temp-dir.ts';

const CLI = fileURLToPath(new URL('../../bin/batchfetch.js', import.meta.url));

/** Runs `script` in bash with pipefail, in the CLI's environment (cliEnv); killed after 20 s. */
function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnTracked('bash', ['-c', script], { env: cliEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout += String(chunk); });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += String(chunk); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('batchfetch run when its results cannot be written', () => {
  let server: TestServer;
  let input: string;

  beforeAll(async () => {
    server = await TestServer.start({ '/ok': routes.text('hello') });
    input = join(tempDir('batchfetch-write-'), 'urls.txt');
    writeFileSync(input, Array.from({ length: 3_000 }, (_, i) => server.url(`/ok?n=${i}`)).join('\n'));
  });

  afterAll(async () => {
    await server.close();
  });

  test('--out /dev/full ends promptly with exit 1 and one line naming the destination and the reason', async () => {
    const run = await runCli(['run', input, '--allow-network', '127.0.0.0/8', '--out', '/dev/full', '--quiet']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('batchfetch: cannot write results to /dev/full:');
    expect(run.stderr).toContain('ENOSPC');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a closed stdout (| head -1) ends the run quietly, as a Unix tool stopped by SIGPIPE', async () => {
    const run = await bash(`set -o pipefail; "${CLI}" run "${input}" --allow-network 127.0.0.0/8 | head -1; echo "status \${PIPESTATUS[0]} \${PIPESTATUS[1]}" >&2`);

    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
    expect(run.stderr).toContain('status 141 0');
    expect(run.stderr).not.toContain('EPIPE');
    expect(run.stderr).not.toContain('"level":"WARN"');
  });
});

describe('batchfetch worker when its results cannot be written', () => {
  let server: TestServer;
  let localSqs: ChildProcess;

  beforeAll(async () => {
    server = await TestServer.start({ '/ok': routes.text('hello') });
    localSqs = startLocalSqs(['--queue', 'jobs', '--visibility-timeout', '60']);
  });

  afterAll(async () => {
    localSqs.kill('SIGKILL');
    await server.close();
  });

  test('--out /dev/full stops the worker with exit 1 and one line; the messages stay in the queue, not in the DLQ', async () => {
    const { endpoint, queues } = JSON.parse(await firstLine(localSqs)) as { endpoint: string; queues: Record<string, string> };
    const urls = Array.from({ length: 100 }, (_, i) => server.url(`/ok?i=${i}`));
    await runCli(['enqueue', '-', '--queue-url', queues.jobs!, '--endpoint', endpoint, '--message-urls', '10'], { stdin: urls.join('\n') });

    const run = await runCli(['worker', '--queue-url', queues.jobs!, '--endpoint', endpoint, '--out', '/dev/full',
      '--allow-network', '127.0.0.0/8', '--batch-size', '2', '--exit-when-empty']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('batchfetch: cannot write results to /dev/full:');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const count = async (url: string) => {
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
    };
    expect(await count(queues.jobs!)).toBe(10);
    expect(await count(queues['jobs-dlq']!)).toBe(0);
    client.destroy();
  });
});
