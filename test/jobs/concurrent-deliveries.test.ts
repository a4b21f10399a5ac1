import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig } from '../../lib/index.ts';
import type { JobSummary } from '../../lib/jobs/job-summary.ts';
import { toSqsEvent } from '../../lib/queue/sqs-event.ts';
import { S3Sink } from '../../lib/sinks/s3-sink.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { routes, TestServer } from '../support/test-server.ts';

/*
 * Two deliveries of one message at the same time (SQS delivers a standard queue's messages at
 * least once; a visibility timeout can also run out under a slow consumer): the delivery the job
 * counts is the one whose results stand. Real SQS and S3 (fauxqs), real DynamoDB (dynalite).
 */
describe('one message delivered twice at once', () => {
  let sqs: EmbeddedSqs;
  let ddb: EmbeddedDynamoDb;
  let s3: S3Client;
  let server: TestServer;
  const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const bucket = 'concurrent-results';

  beforeAll(async () => {
    [sqs, ddb] = await Promise.all([startEmbeddedSqs(), startEmbeddedDynamoDb()]);
    sqs.createBucket(bucket);
    s3 = new S3Client({ endpoint: sqs.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    server = await TestServer.start({ '/ok': routes.text('ok') });
  });

  afterAll(async () => {
    s3.destroy();
    await server.close();
    await Promise.all([sqs.stop(), ddb.stop()]);
  });

  /** A queue of its own, the enqueue handler for it, and the job completions announced. */
  async function jobQueue(name: string) {
    const queue = await sqs.createQueue(`${name}-${Date.now()}`, { VisibilityTimeout: '30' });
    const completions: JobSummary[] = [];
    const announceJob = async (summary: JobSummary) => { completions.push(summary); };
    const enqueue = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls: 100, allowNetworks: [], jobsTable: ddb.table, resultsBucket: undefined, resultsPrefix: 'results/', eventBusName: undefined },
      logger: silent, sqs: sqs.client, dynamodb: ddb.client, announceJob,
    });
    return { queue, completions, announceJob, enqueue };
  }

  /** Every record stored under the job's prefix, by URL. */
  async function storedRecords(jobId: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `results/job=${jobId}/` }));
    const urls: string[] = [];
    for (const { Key } of listed.Contents ?? []) {
      if (Key!.includes('/_')) continue;
      const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString();
      for (const line of text.split('\n').filter((each) => each !== '')) urls.push((JSON.parse(line) as { url: string }).url);
    }
    return urls.sort();
  }

  test('the first is cut off by its deadline and counted first; the second fetched everything: the stored records are the counted delivery\'s', async () => {
    const { queue, completions, announceJob, enqueue } = await jobQueue('concurrent');
    const fetchBatch = await createFetchBatchHandler({
      config: readConsumerConfig({
        FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', JOBS_TABLE: ddb.table, CONTINUATION_QUEUE_URL: queue.queueUrl, DEADLINE_MARGIN_MS: '1000',
      }),
      logger: silent, sink: new S3Sink({ client: s3, bucket }), sqs: sqs.client, dynamodb: ddb.client, announceJob,
    });
    // /slow answers after 1.5 s the first two times (both deliveries), then at once (the continuation).
    let slowHits = 0;
    server.route('/slow', (_req, res) => {
      slowHits += 1;
      setTimeout(() => res.end('late'), slowHits <= 2 ? 1_500 : 0);
    });
    await enqueue({ urls: [server.url('/ok?a'), server.url('/slow'), server.url('/ok?b')], jobId: 'twice-at-once', messageUrls: 3 }, lambdaContext());
    const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    const event = toSqsEvent(Messages!, queue.queueArn);
    const duplicate = { Records: event.Records.map((record): SQSRecord => ({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } })) };

    // The first delivery has 1.8 s less a 1 s margin: /slow is cut off and continued, and it
    // counts first. The duplicate, started at the same moment, waits for /slow and counts second.
    const [cutOff, full] = await Promise.all([fetchBatch(event, lambdaContext(1_800)), fetchBatch(duplicate, lambdaContext(10_000))]);
    expect(cutOff.batchItemFailures).toStrictEqual([]);
    expect(full.batchItemFailures).toStrictEqual([]);
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queue.queueUrl, ReceiptHandle: Messages![0]!.ReceiptHandle! }));

    // The continuation the counted delivery recorded carries /slow (the other delivery sends the
    // same one again: the same message key, counted once).
    const continued = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10 }));
    expect(continued.Messages?.length).toBeGreaterThan(0);
    expect(continued.Messages!.map((message) => JSON.parse(message.Body!) as { urls: string[]; job: { key: string } }))
      .toStrictEqual(continued.Messages!.map(() => expect.objectContaining({ urls: [server.url('/slow')], job: { id: 'twice-at-once', key: '0~0' } })));
    // Both copies in one batch: one is counted and stores; the other, finding the counted one's
    // results not stored yet, is failed and delivered again (bounded rounds), then acknowledged.
    let records = toSqsEvent(continued.Messages!, queue.queueArn).Records;
    for (let delivery = 2; records.length > 0 && delivery < 7; delivery++) {
      const { batchItemFailures } = await fetchBatch({ Records: records }, lambdaContext(10_000));
      const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
      records = records.filter((record) => failed.has(record.messageId))
        .map((record) => ({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(delivery) } }));
    }
    expect(records).toStrictEqual([]);

    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ total: 3, done: 3, counts: { ok: 3 } });
    // One stored record per URL: /slow in the continuation's object only.
    expect(await storedRecords('twice-at-once')).toStrictEqual([server.url('/ok?a'), server.url('/ok?b'), server.url('/slow')].sort());
  });

  test('a delivery counted whose results could not be stored: the next delivery fetches them again and stores them, counting nothing', async () => {
    const { queue, completions, announceJob, enqueue } = await jobQueue('refill');
    const consumer = (sinkBucket: string) => createFetchBatchHandler({
      config: readConsumerConfig({ FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', JOBS_TABLE: ddb.table, CONTINUATION_QUEUE_URL: queue.queueUrl }),
      logger: silent, sink: new S3Sink({ client: s3, bucket: sinkBucket }), sqs: sqs.client, dynamodb: ddb.client, announceJob,
    });
    await enqueue({ urls: [server.url('/ok?refill-a'), server.url('/ok?refill-b')], jobId: 'refilled', messageUrls: 2 }, lambdaContext());
    const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 1 }));
    const event = toSqsEvent(Messages!, queue.queueArn);
    const hitsBefore = server.hitsOf('/ok');

    // The first delivery counts (completing the job), then its PUT fails (a bucket that does not
    // exist): the job is not announced while its results are not stored.
    const broken = await (await consumer('no-such-bucket'))(event, lambdaContext(10_000));
    expect(broken.batchItemFailures).toHaveLength(1);
    expect(completions).toHaveLength(0);
    expect(await storedRecords('refilled')).toStrictEqual([]);

    const redelivered = { Records: event.Records.map((record): SQSRecord => ({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } })) };
    expect((await (await consumer(bucket))(redelivered, lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(server.hitsOf('/ok')).toBe(hitsBefore + 4);
    expect(await storedRecords('refilled')).toStrictEqual([server.url('/ok?refill-a'), server.url('/ok?refill-b')]);
    // Announced by the delivery that stored the last results.
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ total: 2, done: 2, counts: { ok: 2 } });
  });
});
