import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig } from '../../lib/index.ts';
import { JobStore } from '../../lib/jobs/job-store.ts';
import type { JobSummary } from '../../lib/jobs/job-summary.ts';
import { toSqsEvent } from '../../lib/queue/sqs-event.ts';
import { S3Sink } from '../../lib/sinks/s3-sink.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { S3FaultProxy } from '../support/s3-faults.ts';
import { routes, TestServer } from '../support/test-server.ts';

/*
 * Counted means stored: a job's message is stored (the first delivery to store it wins, an S3
 * conditional write) before it is counted, so a job ends only when every counted message's
 * records exist, and its counts, its records, `_manifest.json` and `_changes.jsonl` agree.
 * Real SQS and S3 (fauxqs), real DynamoDB (dynalite), and a proxy in front of S3 that delays or
 * fails chosen calls. Each case is a row of the table in docs/jobs.md.
 */
describe('counted means stored, however deliveries interleave', () => {
  let sqs: EmbeddedSqs;
  let ddb: EmbeddedDynamoDb;
  let s3: S3Client;
  let faults: S3FaultProxy;
  let faulty: S3Client;
  let server: TestServer;
  let store: JobStore;
  const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const bucket = 'concurrent-results';
  const s3Client = (endpoint: string) => new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });

  beforeAll(async () => {
    [sqs, ddb] = await Promise.all([startEmbeddedSqs(), startEmbeddedDynamoDb()]);
    sqs.createBucket(bucket);
    s3 = s3Client(sqs.endpoint);
    faults = await S3FaultProxy.start(sqs.endpoint);
    faulty = s3Client(faults.endpoint);
    server = await TestServer.start({ '/ok': routes.text('ok') });
    store = new JobStore(ddb.client, ddb.table);
  });

  afterAll(async () => {
    s3.destroy();
    faulty.destroy();
    await faults.close();
    await server.close();
    await Promise.all([sqs.stop(), ddb.stop()]);
  });

  /**
   * A queue of its own, its enqueuer (the first job of a schedule: every URL `new`, so the job
   * has a change report listing every record), consumers storing through the fault proxy, and
   * the completions they announce.
   */
  async function jobWorld(name: string) {
    const queue = await sqs.createQueue(`${name}-${Date.now()}`, { VisibilityTimeout: '30' });
    const completions: JobSummary[] = [];
    const announceJob = async (summary: JobSummary) => { completions.push(summary); };
    const enqueueHandler = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls: 100, allowNetworks: [], jobsTable: ddb.table, resultsBucket: bucket, resultsPrefix: 'results/', eventBusName: undefined },
      logger: silent, sqs: sqs.client, dynamodb: ddb.client, s3, announceJob,
    });
    const enqueue = (jobId: string, urls: string[], messageUrls: number) =>
      enqueueHandler({ urls, jobId, messageUrls, schedule: `${name}-${jobId}` }, lambdaContext());
    const consumer = (env: Record<string, string> = {}) => createFetchBatchHandler({
      config: readConsumerConfig({
        FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', JOBS_TABLE: ddb.table, CONTINUATION_QUEUE_URL: queue.queueUrl, RESULTS_BUCKET: bucket, ...env,
      }),
      logger: silent, s3: faulty, sqs: sqs.client, dynamodb: ddb.client, announceJob,
    });
    /** Receives up to `max` messages (each received once more: their receive count goes up). */
    const receive = async (max = 10): Promise<Message[]> => (await sqs.client.send(new ReceiveMessageCommand({
      QueueUrl: queue.queueUrl, MaxNumberOfMessages: max, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }))).Messages ?? [];
    const eventOf = (messages: Message[]): SQSEvent => toSqsEvent(messages, queue.queueArn);
    const remove = (messages: Message[]) => Promise.all(messages.map((message) =>
      sqs.client.send(new DeleteMessageCommand({ QueueUrl: queue.queueUrl, ReceiptHandle: message.ReceiptHandle! }))));
    return { queue, completions, enqueue, consumer, receive, eventOf, remove };
  }

  /** A delivery again: the same record, SQS's receive count one higher. */
  const redelivered = (event: SQSEvent, count = 2): SQSEvent => ({
    Records: event.Records.map((record): SQSRecord => ({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(count) } })),
  });

  async function text(Key: string): Promise<string> {
    return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString();
  }

  /** What the job says, what is stored, what the manifest and the change report list. */
  async function jobAsStored(jobId: string) {
    const prefix = `results/job=${jobId}/`;
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? [];
    const recordKeys = listed.map((object) => object.Key!).filter((key) => !key.slice(prefix.length).startsWith('_')).sort();
    const records: { url: string; ok: boolean; status: number | null; error: { code: string } | null }[] = [];
    for (const key of recordKeys) for (const line of (await text(key)).split('\n').filter((each) => each !== '')) records.push(JSON.parse(line) as typeof records[number]);
    const manifest = JSON.parse(await text(`${prefix}_manifest.json`)) as { resultObjects: { key: string }[] };
    const changes = (await text(`${prefix}_changes.jsonl`)).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { url: string; change: string });
    const summary = (await store.summary(jobId))!;
    return { summary, records, recordKeys, manifestKeys: manifest.resultObjects.map((object) => object.key).sort(), changes };
  }

  /** Counts = stored records = manifest = change report, one record per URL. */
  async function expectAgreement(jobId: string, urls: string[]) {
    const stored = await jobAsStored(jobId);
    expect(stored.records.map((record) => record.url).sort()).toStrictEqual([...urls].sort());
    expect(stored.manifestKeys).toStrictEqual(stored.recordKeys);
    expect(stored.changes.map((change) => change.url).sort()).toStrictEqual([...urls].sort());
    expect(stored.changes.every((change) => change.change === 'new')).toBe(true);
    const failedByCode: Record<string, number> = {};
    for (const record of stored.records) if (record.error) failedByCode[record.error.code] = (failedByCode[record.error.code] ?? 0) + 1;
    expect(stored.summary).toMatchObject({
      status: 'completed', total: urls.length, done: urls.length,
      counts: { ok: stored.records.filter((record) => record.ok).length, failed: urls.length - stored.records.filter((record) => record.ok).length, byCode: failedByCode },
    });
    return stored;
  }

  test('a slow PUT of one message\'s records: the job ends only once they are stored, and its manifest and report list all of them', async () => {
    const world = await jobWorld('slow-put');
    const urls = [0, 1, 2, 3].map((i) => server.url(`/ok?slow-${i}`));
    await world.enqueue('slow', urls, 1);
    const messages = await world.receive();
    expect(messages).toHaveLength(4);
    faults.add({ method: 'PUT', key: /job=slow\/0\.jsonl$/, delayMs: 1_500 });

    const { batchItemFailures } = await (await world.consumer())(world.eventOf(messages), lambdaContext(10_000));

    expect(batchItemFailures).toStrictEqual([]);
    expect(world.completions).toHaveLength(1);
    const stored = await expectAgreement('slow', urls);
    expect(stored.recordKeys).toHaveLength(4);
    expect(world.completions[0]).toMatchObject({ done: 4 });
  });

  test('two deliveries at once, one cut off by its deadline: the first to store stands, the other counts what it stored', async () => {
    const world = await jobWorld('twice');
    let slowHits = 0;
    // Slow the first two times (both deliveries), then at once (the continuation).
    server.route('/slow-twice', (_req, res) => {
      slowHits += 1;
      setTimeout(() => res.end('late'), slowHits <= 2 ? 1_500 : 0);
    });
    const urls = [server.url('/ok?twice-a'), server.url('/slow-twice'), server.url('/ok?twice-b')];
    await world.enqueue('twice', urls, 3);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    const consumer = await world.consumer({ DEADLINE_MARGIN_MS: '1000' });

    // The first delivery has 1.8 s less a 1 s margin: /slow-twice is cut off and handed on; it
    // stores first. The duplicate, started at the same moment, waits for /slow-twice, finds the
    // message stored, and counts what the first stored (nothing twice).
    const [cutOff, full] = await Promise.all([consumer(event, lambdaContext(1_800)), consumer(redelivered(event), lambdaContext(10_000))]);
    expect(cutOff.batchItemFailures).toStrictEqual([]);
    expect(full.batchItemFailures).toStrictEqual([]);
    await world.remove(messages);

    // Both hand on the same continuation (one message key, counted once).
    const continued = await world.receive();
    expect(continued.length).toBeGreaterThan(0);
    expect(continued.map((message) => JSON.parse(message.Body!) as object))
      .toStrictEqual(continued.map(() => expect.objectContaining({ requests: [expect.objectContaining({ url: server.url('/slow-twice') })], job: { id: 'twice', key: '0~0' } })));
    expect((await consumer(world.eventOf(continued), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(world.completions).toHaveLength(1);
    const stored = await expectAgreement('twice', urls);
    expect(stored.recordKeys).toStrictEqual(['results/job=twice/0.jsonl', 'results/job=twice/0~0.jsonl']);
  });

  test('a delivery whose PUT is slow loses to a redelivery that stores first: the counts are the stored records\', not its own', async () => {
    const world = await jobWorld('lost-race');
    // The first fetch of /flaky answers 500, later ones 200: which delivery's records stand shows in the counts.
    let flakyHits = 0;
    server.route('/flaky', (_req, res) => {
      flakyHits += 1;
      res.statusCode = flakyHits === 1 ? 500 : 200;
      res.end('x');
    });
    const urls = [server.url('/flaky'), server.url('/ok?lost-race')];
    await world.enqueue('lost-race', urls, 2);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    faults.add({ method: 'PUT', key: /job=lost-race\/0\.jsonl$/, delayMs: 1_500 });
    const consumer = await world.consumer();

    // The first delivery (500) is held at its PUT; the redelivery (200) stores first and counts.
    const slow = consumer(event, lambdaContext(10_000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fast = await consumer(redelivered(event), lambdaContext(10_000));
    expect(fast.batchItemFailures).toStrictEqual([]);
    expect((await slow).batchItemFailures).toStrictEqual([]);

    expect(flakyHits).toBe(2);
    expect(world.completions).toHaveLength(1);
    const stored = await expectAgreement('lost-race', urls);
    expect(stored.records.find((record) => record.url === server.url('/flaky'))).toMatchObject({ ok: true, status: 200 });
    expect(stored.summary.counts).toStrictEqual({ ok: 2, failed: 0, byCode: {} });
  });

  test('the records PUT fails: nothing is counted, the record fails, and the redelivery stores and counts it once', async () => {
    const world = await jobWorld('put-fails');
    const urls = [server.url('/ok?put-fails-a'), server.url('/ok?put-fails-b')];
    await world.enqueue('put-fails', urls, 2);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    // More 500s than the SDK's attempts (3 by default).
    const fault = faults.add({ method: 'PUT', key: /job=put-fails\/0\.jsonl$/, status: 500, times: 5 });
    const consumer = await world.consumer();

    const failed = await consumer(event, lambdaContext(10_000));
    expect(failed.batchItemFailures).toStrictEqual([{ itemIdentifier: messages[0]!.MessageId }]);
    expect((await store.summary('put-fails'))).toMatchObject({ status: 'running', done: 0 });
    fault.applied = 5;

    expect((await consumer(redelivered(event), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(world.completions).toHaveLength(1);
    await expectAgreement('put-fails', urls);
  });

  test('a message whose URLs were all handed on stores an empty object; its redelivery replays and the job is announced once', async () => {
    const world = await jobWorld('empty');
    server.route('/empty-slow', (_req, res) => { setTimeout(() => res.end('late'), 1_000); });
    const urls = [server.url('/empty-slow')];
    await world.enqueue('empty', urls, 1);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    const consumer = await world.consumer({ DEADLINE_MARGIN_MS: '1000' });

    // 1.3 s less a 1 s margin: the only URL is cut off and handed on.
    expect((await consumer(event, lambdaContext(1_300))).batchItemFailures).toStrictEqual([]);
    expect(await text('results/job=empty/0.jsonl')).toBe('');
    // Redelivered (the consumer died before deleting it): counted already, so it only sends the
    // recorded continuation again; both copies of the continuation are one message key.
    expect((await consumer(redelivered(event), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);
    await world.remove(messages);
    const continued = await world.receive();
    expect(continued).toHaveLength(2);
    expect((await consumer(world.eventOf(continued), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(world.completions).toHaveLength(1);
    const stored = await expectAgreement('empty', urls);
    expect(stored.recordKeys).toStrictEqual(['results/job=empty/0.jsonl', 'results/job=empty/0~0.jsonl']);
  });

  test('a message stored by a delivery that died before counting: two redeliveries at once count it once, fetching nothing', async () => {
    const world = await jobWorld('adopted');
    const urls = [server.url('/ok?adopted-a'), server.url('/ok?adopted-b')];
    await world.enqueue('adopted', urls, 2);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    // What a consumer killed between its store and its count leaves: the stored object, no count.
    const [record] = event.Records;
    const origin = { messageId: record!.messageId, job: { id: 'adopted', key: '0' } };
    const dead = new S3Sink({ client: s3, bucket });
    const fetched = urls.map((url) => ({ url, ok: true, status: 200, attempts: 1, redirects: 0, latencyMs: 3, bytes: 2, change: 'new' as const, error: null }));
    await dead.write(fetched, origin);
    expect(await dead.store(origin, [])).toStrictEqual({ kind: 'stored' });
    const hitsBefore = server.hitsOf('/ok');
    const consumer = await world.consumer();

    const [first, second] = await Promise.all([consumer(redelivered(event, 2), lambdaContext(10_000)), consumer(redelivered(event, 3), lambdaContext(10_000))]);

    expect(first.batchItemFailures).toStrictEqual([]);
    expect(second.batchItemFailures).toStrictEqual([]);
    expect(server.hitsOf('/ok')).toBe(hitsBefore);
    expect(world.completions).toHaveLength(1);
    await expectAgreement('adopted', urls);
  });
});
