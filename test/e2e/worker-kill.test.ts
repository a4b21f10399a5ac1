import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstLine, startCli as start, startLocalSqs } from '../support/cli-process.ts';
import { eventually } from '../support/eventually.ts';
import { runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { routes, TestServer } from '../support/test-server.ts';

const resultLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('nothing lost: a worker killed with SIGKILL mid-batch, then a new one (real processes, real SQS protocol)', () => {
  let server: TestServer;
  let localSqs: ChildProcess;
  const children: ChildProcess[] = [];
  let held = false;

  beforeAll(async () => {
    // Every URL answers after 40 ms, except that the first request for i=45 is never answered:
    // the worker holding it is certainly mid-batch when it is killed.
    server = await TestServer.start({
      '/slow': (req, res) => {
        if (req.url === '/slow?i=45' && !held) {
          held = true;
          return;
        }
        setTimeout(() => res.end('ok'), 40);
      },
    });
    // Long enough that messages the killed worker held are still invisible when we look.
    localSqs = startLocalSqs(['--queue', 'jobs', '--visibility-timeout', '10']);
  });

  afterAll(async () => {
    for (const child of [...children, localSqs]) child.kill('SIGKILL');
    await server.close();
  });

  test('every enqueued URL gets a result; duplicates stay within what was in flight', async () => {
    const { endpoint, queues } = JSON.parse(await firstLine(localSqs)) as { endpoint: string; queues: { jobs: string } };
    const urls = Array.from({ length: 300 }, (_, i) => server.url(`/slow?i=${i}`));
    const enqueued = await runCli(['enqueue', '-', '--queue-url', queues.jobs, '--endpoint', endpoint, '--message-urls', '10'], { stdin: urls.join('\n') });
    expect(JSON.parse(enqueued.stdout)).toMatchObject({ urls: 300, messages: 30 });
    const out = join(tempDir('worker-'), 'results.jsonl');
    const workerArgs = ['worker', '--queue-url', queues.jobs, '--endpoint', endpoint, '--out', out, '--allow-network', '127.0.0.0/8',
      '--batch-size', '2', '--concurrency', '4', '--exit-when-empty'];

    const first = start(workerArgs);
    children.push(first);
    expect(await eventually(() => held, 30_000)).toBe(true);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeRestart = resultLines(out).length;
    // The worker died holding messages: received, not deleted, so invisible until they time out.
    const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.jobs, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
    sqs.destroy();
    expect(Number(Attributes?.ApproximateNumberOfMessagesNotVisible)).toBeGreaterThan(0);

    const second = start(workerArgs);
    children.push(second);
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));

    expect(code).toBe(0);
    const records = resultLines(out).map((line) => JSON.parse(line) as { url: string; ok: boolean });
    const counts = new Map<string, number>();
    for (const record of records) counts.set(record.url, (counts.get(record.url) ?? 0) + 1);
    expect([...counts.keys()].sort()).toStrictEqual([...urls].sort());
    expect(records.every((record) => record.ok)).toBe(true);
    const duplicates = records.length - urls.length;
    // At most one batch was in flight when the worker died: 2 messages x 10 URLs.
    expect(duplicates).toBeLessThanOrEqual(20);
    expect(beforeRestart).toBeLessThan(300);
  }, 90_000);
});

describe('clean shutdown: SIGTERM lets the worker finish the batch in hand', () => {
  let server: TestServer;
  let localSqs: ChildProcess;

  beforeAll(async () => {
    server = await TestServer.start({ '/slow': (_req, res) => { setTimeout(() => res.end('ok'), 40); } });
    localSqs = startLocalSqs(['--queue', 'jobs', '--visibility-timeout', '30']);
  });

  afterAll(async () => {
    localSqs.kill('SIGKILL');
    await server.close();
  });

  test('after SIGTERM nothing in flight is redelivered: a second worker finishes with no duplicates', async () => {
    const { endpoint, queues } = JSON.parse(await firstLine(localSqs)) as { endpoint: string; queues: { jobs: string } };
    const urls = Array.from({ length: 200 }, (_, i) => server.url(`/slow?i=${i}`));
    await runCli(['enqueue', '-', '--queue-url', queues.jobs, '--endpoint', endpoint, '--message-urls', '10'], { stdin: urls.join('\n') });
    const out = join(tempDir('worker-'), 'results.jsonl');
    const args = ['worker', '--queue-url', queues.jobs, '--endpoint', endpoint, '--out', out, '--allow-network', '127.0.0.0/8',
      '--batch-size', '2', '--concurrency', '4', '--exit-when-empty'];

    const first = start(args);
    expect(await eventually(() => resultLines(out).length >= 20, 30_000)).toBe(true);
    first.kill('SIGTERM');
    const firstCode = await new Promise<number | null>((resolve) => first.once('exit', resolve));
    const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.jobs, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
    sqs.destroy();
    const second = start(args);
    const secondCode = await new Promise<number | null>((resolve) => second.once('exit', resolve));

    // Nothing left in flight (invisible for 30 s): the batch in hand was finished and deleted, and a
    // receive cut short by the signal released its messages.
    expect(Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
    expect([firstCode, secondCode]).toStrictEqual([130, 0]);
    const seen = resultLines(out).map((line) => (JSON.parse(line) as { url: string }).url);
    expect(seen.sort()).toStrictEqual([...urls].sort());
  }, 60_000);
});

describe('a second Ctrl-C exits at once', () => {
  let server: TestServer;
  let localSqs: ChildProcess;

  beforeAll(async () => {
    server = await TestServer.start({ '/hang': routes.hang() });
    localSqs = startLocalSqs(['--queue', 'jobs', '--visibility-timeout', '60']);
  });

  afterAll(async () => {
    await server.close();
  });

  test('the first SIGINT waits for the batch in hand; the second ends the worker with 130 while it still waits', async () => {
    const { endpoint, queues } = JSON.parse(await firstLine(localSqs)) as { endpoint: string; queues: { jobs: string } };
    await runCli(['enqueue', '-', '--queue-url', queues.jobs, '--endpoint', endpoint], { stdin: server.url('/hang') });
    // The URL never answers and its attempt may last 10 minutes: only the second signal can end
    // the worker within this test.
    const worker = start(['worker', '--queue-url', queues.jobs, '--endpoint', endpoint, '--out', '/dev/null', '--allow-network', '127.0.0.0/8',
      '--timeout', '600000', '--retries', '0']);
    let stderr = '';
    worker.stderr!.on('data', (chunk: Buffer) => { stderr += String(chunk); });
    const exit = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    expect(await eventually(() => server.hitsOf('/hang') === 1, 30_000)).toBe(true);

    worker.kill('SIGINT');
    expect(await eventually(() => stderr.includes('finishing the batch in hand'), 30_000)).toBe(true);
    expect(worker.exitCode).toBeNull();
    worker.kill('SIGINT');

    expect(await exit).toBe(130);
  }, 60_000);
});
