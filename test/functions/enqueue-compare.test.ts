import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { JobStore } from '../../lib/jobs/job-store.ts';
import { parseQueueMessage } from '../../lib/schemas/queue-message.ts';
import { drainQueue } from '../support/drain-queue.ts';
import { lambdaContext } from '../support/lambda-context.ts';

/*
 * The enqueue function as a schedule fires it (`{jobId, schedule, compare}`), on real SQS-, S3-
 * and DynamoDB-protocol servers: the first job of a schedule compares with nothing, a later one
 * with the schedule's newest finished job — whose records it reads from S3, matched by URL and
 * id, never by position.
 */
describe('enqueue function: a schedule\'s job compares with the schedule\'s previous job', () => {
  let sqs: EmbeddedSqs;
  let ddb: EmbeddedDynamoDb;
  let s3: S3Client;
  const bucket = 'results';

  beforeAll(async () => {
    [sqs, ddb] = await Promise.all([startEmbeddedSqs(), startEmbeddedDynamoDb()]);
    sqs.createBucket(bucket);
    s3 = new S3Client({ endpoint: sqs.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  });

  afterAll(async () => {
    s3?.destroy();
    await Promise.all([sqs?.stop(), ddb?.stop()]);
  });

  async function setup() {
    const queue = await sqs.createQueue(`compare-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const handler = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls: 2, allowNetworks: ['127.0.0.0/8'], jobsTable: ddb.table, resultsBucket: bucket, resultsPrefix: 'results/', eventBusName: undefined },
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      sqs: sqs.client,
      s3,
      dynamodb: ddb.client,
    });
    const requestsOnQueue = async () => (await drainQueue(sqs.client, queue.queueUrl)).flatMap((body) => {
      const message = parseQueueMessage(body);
      if (!message.ok) throw new Error(message.error);
      return message.value.requests;
    });
    return { handler, requestsOnQueue };
  }

  test('the first job compares with nothing; the next reads the previous finished job\'s records and reports the URLs it lost', async () => {
    const { handler, requestsOnQueue } = await setup();
    const first = await handler({ jobId: 'weekly-1', schedule: 'weekly', urls: ['https://a.example/1', 'https://a.example/2'] }, lambdaContext());
    expect(first).toMatchObject({ jobId: 'weekly-1', urls: 2 });
    const firstRequests = await requestsOnQueue();
    expect(firstRequests.map((request) => request.previous)).toStrictEqual([null, null]);
    const store = new JobStore(ddb.client, ddb.table);
    expect((await store.summary('weekly-1'))?.changes).toStrictEqual({
      new: 0, unchanged: 0, changed: 0, broke: 0, recovered: 0, 'still-failing': 0, unknown: 0, missing: 0,
    });

    // An earlier finished job of the schedule, with its records in S3 (as its consumers store them).
    await store.create({ jobId: 'weekly-0', schedule: 'weekly', results: `s3://${bucket}/results/job=weekly-0/` });
    await store.enqueued('weekly-0', { total: 0, messages: 0, invalid: 0, shards: 0 });
    const records = [
      { url: 'https://a.example/1', ok: true, status: 200, etag: '"x"', sha256: 'a'.repeat(64) },
      { url: 'https://a.example/2', ok: false, status: 500 },
      { url: 'https://a.example/2', id: 'two', ok: true, status: 200, lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' },
      { url: 'https://a.example/gone', ok: true, status: 200 },
    ];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'results/job=weekly-0/0.jsonl', Body: `${records.map((r) => JSON.stringify(r)).join('\n')}\n` }));
    // weekly-1 is still running: the newest *finished* job is weekly-0.
    const second = await handler({ jobId: 'weekly-2', schedule: 'weekly', requests: [
      { url: 'https://a.example/new' }, { url: 'https://a.example/2', id: 'two' }, { url: 'https://a.example/1' }, { url: 'https://a.example/2' },
    ] }, lambdaContext());
    expect(second).toMatchObject({ jobId: 'weekly-2', urls: 4 });
    const previous = new Map((await requestsOnQueue()).map((request) => [`${request.url} ${request.id ?? ''}`, request.previous]));
    expect(previous).toStrictEqual(new Map([
      ['https://a.example/new ', null],
      ['https://a.example/2 two', { ok: true, status: 200, lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' }],
      ['https://a.example/1 ', { ok: true, status: 200, sha256: 'a'.repeat(64), etag: '"x"' }],
      ['https://a.example/2 ', { ok: false, status: 500 }],
    ]));
    expect((await store.summary('weekly-2'))?.changes).toMatchObject({ sinceJobId: 'weekly-0', missing: 1 });
    const missing = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'results/job=weekly-2/_changes/missing-000000.jsonl' }));
    expect(JSON.parse(await missing.Body!.transformToString())).toStrictEqual({
      url: 'https://a.example/gone', change: 'missing', previous: { ok: true, status: 200 },
    });
  });

  test('compare: false sends plain requests; a sinceJob that does not exist is a clear error and sends nothing', async () => {
    const { handler, requestsOnQueue } = await setup();
    await handler({ jobId: 'plain-1', schedule: 'plain', compare: false, urls: ['https://a.example/1'] }, lambdaContext());
    expect((await requestsOnQueue()).map((request) => request.previous)).toStrictEqual([undefined]);
    expect((await new JobStore(ddb.client, ddb.table).summary('plain-1'))?.changes).toBeUndefined();

    await expect(handler({ jobId: 'bad-1', sinceJob: 'no-such-job', urls: ['https://a.example/1'] }, lambdaContext()))
      .rejects.toThrow("no job 'no-such-job' to compare with in the jobs table");
    await expect(handler({ jobId: 'bad-2', sinceJob: 'plain-1', compare: false, urls: ['https://a.example/1'] }, lambdaContext()))
      .rejects.toThrow('sinceJob asks to compare; it cannot go with compare: false');
    expect(await requestsOnQueue()).toStrictEqual([]);
  });
});
