import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig } from '../../lib/index.ts';
import { JobStore } from '../../lib/jobs/job-store.ts';
import type { JobSummary } from '../../lib/jobs/job-summary.ts';
import { toSqsEvent } from '../../lib/queue/sqs-event.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { lambdaContext } from './lambda-context.ts';
import { S3FaultProxy } from './s3-faults.ts';
import { routes, TestServer } from './test-server.ts';

const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const bucket = 'job-results';
const s3Client = (endpoint: string) => new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });

/** A delivery again: the same records, SQS's receive count `count`. */
function redelivered(event: SQSEvent, count = 2): SQSEvent {
  return { Records: event.Records.map((record): SQSRecord => ({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(count) } })) };
}

/**
 * Everything a job runs on, real: SQS and S3 (fauxqs), DynamoDB (dynalite), a page server, and a
 * proxy in front of S3 that delays or fails chosen calls (consumers store through it).
 */
class JobLab {
  readonly bucket = bucket;
  readonly store: JobStore;
  readonly sqs: EmbeddedSqs;
  readonly ddb: EmbeddedDynamoDb;
  readonly s3: S3Client;
  readonly faults: S3FaultProxy;
  readonly faulty: S3Client;
  readonly server: TestServer;

  private constructor(sqs: EmbeddedSqs, ddb: EmbeddedDynamoDb, faults: S3FaultProxy, server: TestServer) {
    this.sqs = sqs;
    this.ddb = ddb;
    this.s3 = s3Client(sqs.endpoint);
    this.faults = faults;
    this.faulty = s3Client(faults.endpoint);
    this.server = server;
    this.store = new JobStore(ddb.client, ddb.table);
  }

  static async start(): Promise<JobLab> {
    const [sqs, ddb] = await Promise.all([startEmbeddedSqs(), startEmbeddedDynamoDb()]);
    sqs.createBucket(bucket);
    const faults = await S3FaultProxy.start(sqs.endpoint);
    return new JobLab(sqs, ddb, faults, await TestServer.start({ '/ok': routes.text('ok') }));
  }

  async close(): Promise<void> {
    this.s3.destroy();
    this.faulty.destroy();
    await this.faults.close();
    await this.server.close();
    await Promise.all([this.sqs.stop(), this.ddb.stop()]);
  }

  /**
   * A queue of its own, its enqueuer (the first job of a schedule: every URL `new`, so the job
   * has a change report listing every record), consumers storing through the fault proxy, and
   * the completions they announce.
   */
  async world(name: string) {
    const { sqs, ddb, s3, faulty } = this;
    const queue = await sqs.createQueue(`${name}-${Date.now()}`, { VisibilityTimeout: '30' });
    const completions: JobSummary[] = [];
    const announceJob = async (summary: JobSummary) => { completions.push(summary); };
    const enqueueHandler = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls: 100, allowNetworks: [], jobsTable: ddb.table, resultsBucket: bucket, resultsPrefix: 'results/', eventBusName: undefined },
      logger: silent, sqs: sqs.client, dynamodb: ddb.client, s3,
    });
    const enqueue = (jobId: string, urls: string[], messageUrls: number) =>
      enqueueHandler({ urls, jobId, messageUrls, schedule: `${name}-${jobId}` }, lambdaContext());
    const consumer = (env: Record<string, string> = {}, dynamodb: DynamoDBClient = ddb.client) => createFetchBatchHandler({
      config: readConsumerConfig({
        FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', JOBS_TABLE: ddb.table, CONTINUATION_QUEUE_URL: queue.queueUrl, RESULTS_BUCKET: bucket, ...env,
      }),
      logger: silent, s3: faulty, sqs: sqs.client, dynamodb, announceJob,
    });
    /** Receives up to `max` messages (each received once more: their receive count goes up). */
    /** Job-end messages received so far (a consumer that ends a job asks for its end on the queue). */
    const ends: Message[] = [];
    /** Receives up to `max` fetch messages (each received once more: their receive count goes up); job-end messages are kept for `settleEnds`. */
    const receive = async (max = 10): Promise<Message[]> => {
      const messages = (await sqs.client.send(new ReceiveMessageCommand({
        QueueUrl: queue.queueUrl, MaxNumberOfMessages: max, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }))).Messages ?? [];
      ends.push(...messages.filter((message) => message.Body!.startsWith('{"jobEnd"')));
      return messages.filter((message) => !message.Body!.startsWith('{"jobEnd"'));
    };
    const eventOf = (messages: Message[]): SQSEvent => toSqsEvent(messages, queue.queueArn);
    const remove = (messages: Message[]) => Promise.all(messages.map((message) =>
      sqs.client.send(new DeleteMessageCommand({ QueueUrl: queue.queueUrl, ReceiptHandle: message.ReceiptHandle! }))));
    /** Delivers every job-end message waiting (in the queue, or received already) to a consumer; returns the batch's failures. */
    const settleEnds = async (handler?: Awaited<ReturnType<typeof consumer>>) => {
      // Fetch messages seen on the way are made visible again at once, for the test to receive.
      const others = await receive();
      await Promise.all(others.map((message) => sqs.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }))));
      const waiting = ends.splice(0);
      if (waiting.length === 0) return [];
      const { batchItemFailures } = await (handler ?? await consumer())(eventOf(waiting), lambdaContext(10_000));
      const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
      await remove(waiting.filter((message) => !failed.has(message.MessageId!)));
      return batchItemFailures;
    };
    return { queue, completions, enqueue, consumer, receive, eventOf, remove, settleEnds };
  }

  async text(Key: string): Promise<string> {
    return (await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString();
  }

  /** What the job says, what is stored, what the manifest and the change report list. */
  async jobAsStored(jobId: string) {
    const { s3, store } = this;
    const text = (key: string) => this.text(key);
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
  async expectAgreement(jobId: string, urls: string[]) {
    const stored = await this.jobAsStored(jobId);
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
}

export { JobLab, redelivered };
