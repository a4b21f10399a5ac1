import type { ChildProcess } from 'node:child_process';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { exited, firstLine, startCli, startLocalSqs } from '../support/cli-process.ts';
import { eventually } from '../support/eventually.ts';
import { PagesServer } from '../support/pages-server.ts';
import { jsonLines, runCli } from '../support/run-cli.ts';

interface LocalServers {
  readonly endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly resultsBucket: string;
  readonly queues: { readonly jobs: string };
}

type Kind = 'etag' | 'last-modified' | 'none' | 'ignored';
const KINDS: readonly Kind[] = ['etag', 'last-modified', 'none', 'ignored'];

/*
 * Jobs that remember, end to end through the CLI and `local-sqs` (SQS, S3, DynamoDB on
 * loopback): a series of jobs (`enqueue --schedule`) over pages with ETag, Last-Modified,
 * neither, and validators ignored; between the jobs pages change, break and recover and the list
 * gains, loses and reorders lines. The second job runs through duplicate sends, forced
 * redeliveries, deadline continuations and a SIGKILLed worker; its change counts are exact and
 * its change report lists each reported URL once.
 */
describe('jobs compared with the earlier job of their series', () => {
  let server: PagesServer;
  let local: ChildProcess;
  let servers: LocalServers;
  let s3: S3Client;

  beforeAll(async () => {
    server = await PagesServer.start();
    local = startLocalSqs(['--queue', 'jobs', '--visibility-timeout', '2']);
    servers = JSON.parse(await firstLine(local)) as LocalServers;
    s3 = new S3Client({ endpoint: servers.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    local?.kill('SIGKILL');
    await server?.close();
  });

  const connection = () => ['--endpoint', servers.endpoint, '--dynamodb-endpoint', servers.dynamodbEndpoint];
  const enqueue = (urls: string[], ...flags: string[]) => runCli(['enqueue', '-', '--queue-url', servers.queues.jobs, ...connection(),
    '--results-bucket', servers.resultsBucket, '--message-urls', '25', ...flags], { stdin: `${urls.join('\n')}\n`, timeoutMs: 60_000 });
  const workerArgs = (...flags: string[]) => ['worker', '--queue-url', servers.queues.jobs, ...connection(), '--results-bucket', servers.resultsBucket,
    '--allow-network', '127.0.0.0/8', '--retries', '0', '--batch-size', '5', '--concurrency', '16', '--exit-when-empty', ...flags];
  const runWorker = async (...flags: string[]) => {
    const { code, stderr } = await exited(startCli(workerArgs(...flags)));
    if (code !== 0) throw new Error(`the worker exited with ${code}:\n${stderr}`);
  };
  const waitFor = async (jobId: string) => {
    const done = await runCli(['job', 'wait', jobId, ...connection()], { timeoutMs: 60_000 });
    expect(done.code).toBe(0);
    return JSON.parse(done.stdout) as Record<string, unknown>;
  };
  const path = (i: number) => `/p/${i}`;
  const kindOf = (i: number) => KINDS[i % KINDS.length]!;
  const keys = async (prefix: string) => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: servers.resultsBucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((object) => object.Key!);
  };

  test('the second job of a series: conditional requests, exact change counts and one report line per reported URL, through redeliveries, continuations and a SIGKILL', async () => {
    for (let i = 0; i < 1_000; i++) server.page(path(i), `page ${i}, first text`, kindOf(i));
    // Failing in the first job: i % 100 == 3 (they recover) and == 4 (they stay failing).
    for (let i = 0; i < 1_000; i++) if (i % 100 === 3 || i % 100 === 4) server.fail(path(i), 500);
    const firstList = Array.from({ length: 900 }, (_, i) => server.url(path(i)));

    expect((await enqueue(firstList, '--job-id', 'nightly-1', '--schedule', 'nightly')).code).toBe(0);
    await runWorker();
    const first = await waitFor('nightly-1');
    // The first of a series compares with nothing: every URL is new, and every record is hashed.
    expect(first.changes).toStrictEqual({ new: 900, unchanged: 0, changed: 0, broke: 0, recovered: 0, 'still-failing': 0, unknown: 0, missing: 0 });
    expect(server.seen.some((seen) => seen.ifNoneMatch !== undefined || seen.ifModifiedSince !== undefined)).toBe(false);

    // Between the jobs: every tenth page edited, some break, some recover; the list loses its
    // first 50 lines, gains 100 and is reversed.
    for (let i = 0; i < 900; i++) {
      if (i % 10 === 1) server.change(path(i), `page ${i}, second text`);
      if (i % 100 === 2) server.fail(path(i), 503);
      if (i % 100 === 3) server.fail(path(i), undefined);
    }
    const secondIndexes = Array.from({ length: 950 }, (_, n) => 50 + n).reverse();
    const expected = new Map<number, string>();
    for (const i of secondIndexes) {
      expected.set(i, i >= 900 ? 'new'
        : i % 100 === 2 ? 'broke'
          : i % 100 === 3 ? 'recovered'
            : i % 100 === 4 ? 'still-failing'
              : i % 10 === 1 ? 'changed' : 'unchanged');
    }
    const count = (change: string) => [...expected.values()].filter((value) => value === change).length;
    // Twenty URLs answer only after 2 s the first time: 1 s invocations cut them off and continue them.
    for (let i = 100; i < 900; i += 40) server.delayNext(path(i), 2_000);

    const seenBefore = server.seen.length;
    const enqueued = await enqueue(secondIndexes.map((i) => server.url(path(i))), '--job-id', 'nightly-2', '--schedule', 'nightly');
    expect(JSON.parse(enqueued.stdout)).toMatchObject({ jobId: 'nightly-2', urls: 950 });

    // Duplicate sends: 20 messages sent a second time; the originals, received and not deleted,
    // come back after the 2 s visibility timeout (forced redeliveries).
    const sqs = new SQSClient({ endpoint: servers.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    try {
      for (let round = 0; round < 2; round++) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: servers.queues.jobs, MaxNumberOfMessages: 10 }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: servers.queues.jobs, Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body! })) }));
      }
    } finally {
      sqs.destroy();
    }

    // A worker killed mid-run (after a third of the list), then one that finishes.
    const killed = startCli(workerArgs('--invocation-timeout', '1000', '--concurrency', '4', '--batch-size', '2'));
    const killedExit = exited(killed);
    let ended: { code: number | null; stderr: string } | undefined;
    void killedExit.then((result) => { ended = result; });
    await eventually(() => server.seen.length - seenBefore >= 300 || ended !== undefined, 60_000);
    if (ended) throw new Error(`the first worker ended by itself (${ended.code}):\n${ended.stderr}`);
    killed.kill('SIGKILL');
    await killedExit;
    await runWorker('--invocation-timeout', '1000');

    const second = await waitFor('nightly-2');
    expect(second).toMatchObject({ status: 'completed', total: 950, done: 950 });
    expect(second.changes).toStrictEqual({
      sinceJobId: 'nightly-1',
      new: count('new'), unchanged: count('unchanged'), changed: count('changed'), broke: count('broke'),
      recovered: count('recovered'), 'still-failing': count('still-failing'), unknown: 0, missing: 50,
    });
    // The cut-off URLs took the continuation path: their records are in continuation messages' objects.
    expect((await keys('results/job=nightly-2/')).filter((key) => /~\d+\.jsonl$/.test(key)).length).toBeGreaterThan(0);

    // Conditional requests: pages with an ETag were asked with If-None-Match, pages with only
    // Last-Modified with If-Modified-Since, and an unchanged honouring page answered 304.
    const secondSeen = server.seen.slice(seenBefore);
    const asked = (i: number) => secondSeen.filter((seen) => seen.path === path(i));
    expect(asked(60).every((seen) => seen.ifNoneMatch === '"v1"')).toBe(true);
    expect(asked(60).some((seen) => seen.status === 304)).toBe(true);
    expect(asked(65).every((seen) => seen.ifModifiedSince !== undefined && seen.ifNoneMatch === undefined)).toBe(true);
    expect(asked(65).some((seen) => seen.status === 304)).toBe(true);
    expect(asked(66).length).toBeGreaterThan(0);
    expect(asked(66).every((seen) => seen.ifNoneMatch === undefined && seen.ifModifiedSince === undefined)).toBe(true);

    // The change report: each reported URL exactly once, with its class; missing ones with their
    // earlier record; the same lines in `_changes.jsonl` once the job ended.
    const report = jsonLines((await runCli(['job', 'changes', 'nightly-2', ...connection()], { timeoutMs: 60_000 })).stdout);
    const reportedUrls = report.map((line) => line.url as string);
    expect(new Set(reportedUrls).size).toBe(reportedUrls.length);
    const wanted = new Map<string, string>();
    for (const [i, change] of expected) if (change !== 'unchanged' && change !== 'still-failing') wanted.set(server.url(path(i)), change);
    for (let i = 0; i < 50; i++) wanted.set(server.url(path(i)), 'missing');
    expect(new Map(report.map((line) => [line.url as string, line.change as string]))).toStrictEqual(wanted);
    expect(report.find((line) => line.url === server.url(path(0)))).toMatchObject({ change: 'missing', previous: { ok: true, status: 200 } });
    // The parts the report was built from: messages with changes, and the enqueuer's missing URLs.
    expect((await keys('results/job=nightly-2/_changes/')).some((key) => key.endsWith('/missing-000000.jsonl'))).toBe(true);
    const stored = await s3.send(new GetObjectCommand({ Bucket: servers.resultsBucket, Key: 'results/job=nightly-2/_changes.jsonl' }));
    expect(jsonLines(await stored.Body!.transformToString()).map((line) => line.url).sort()).toStrictEqual([...reportedUrls].sort());

    // Every record has its class; `job results` does not mix the report in.
    const records = jsonLines((await runCli(['job', 'results', 'nightly-2', ...connection()], { timeoutMs: 60_000 })).stdout);
    expect(records).toHaveLength(950);
    expect(new Map(records.map((record) => [record.url as string, record.change]))).toStrictEqual(
      new Map(secondIndexes.map((i) => [server.url(path(i)), expected.get(i)])),
    );
    expect(records.find((record) => record.url === server.url(path(60)))).toMatchObject({ status: 304, ok: true, notModified: true, change: 'unchanged' });
  }, 240_000);

  test('a third job with nothing changed (--since-job) counts every URL unchanged or still failing and writes no report part', async () => {
    const list = Array.from({ length: 950 }, (_, n) => server.url(path(50 + n)));
    expect((await enqueue(list, '--job-id', 'recheck-1', '--since-job', 'nightly-2')).code).toBe(0);
    await runWorker();
    const third = await waitFor('recheck-1');
    const failing = list.filter((_, n) => [2, 4].includes((50 + n) % 100)).length;
    expect(third.changes).toStrictEqual({
      sinceJobId: 'nightly-2', new: 0, unchanged: 950 - failing, changed: 0, broke: 0, recovered: 0, 'still-failing': failing, unknown: 0, missing: 0,
    });
    expect(await keys('results/job=recheck-1/_changes/')).toStrictEqual([]);
    const stored = await s3.send(new GetObjectCommand({ Bucket: servers.resultsBucket, Key: 'results/job=recheck-1/_changes.jsonl' }));
    expect(await stored.Body!.transformToString()).toBe('');
  }, 120_000);

  test('comparing with a job that does not exist, is still running, or with both --since-job and --schedule is a usage error; nothing is sent', async () => {
    const url = server.url(path(999));
    const unknown = await enqueue([url], '--job-id', 'bad-1', '--since-job', 'no-such-job');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--since-job: no job 'no-such-job' to compare with");

    expect((await enqueue([url], '--job-id', 'running-1')).code).toBe(0);
    const running = await enqueue([url], '--job-id', 'bad-2', '--since-job', 'running-1');
    expect(running.code).toBe(2);
    expect(running.stderr).toContain('job running-1 is still running: a job compares with a finished one');

    const both = await enqueue([url], '--since-job', 'nightly-1', '--schedule', 'nightly');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--since-job and --schedule each choose what to compare with');
    await runWorker();
    expect((await runCli(['job', 'status', 'bad-1', ...connection()])).code).toBe(2);
  }, 60_000);
});
