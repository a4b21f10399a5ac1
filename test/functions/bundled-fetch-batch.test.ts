import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { toSqsEvent } from '../../lib/queue/sqs-event.ts';
import { runFetchBatchBundle } from '../support/bundles.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('the bundled fetch-batch function (dist/fetch-batch/index.mjs)', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/missing': routes.text('no', 404) });
  });

  afterEach(async () => {
    await server.close();
  });

  test('returns the right batchItemFailures and prints valid EMF metrics and result log lines', async () => {
    const bad = sqsRecord('{"urls": 42}');
    const event = sqsEvent(sqsRecord({ urls: [server.url('/ok'), server.url('/missing'), 'http://10.1.2.3/'] }), bad);

    const { code, lines } = await runFetchBatchBundle(event, {
      FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', POWERTOOLS_METRICS_NAMESPACE: 'Batchfetch', POWERTOOLS_SERVICE_NAME: 'fetch-batch',
    });

    expect(code).toBe(0);
    const response = lines.find((line) => line.startsWith('RESPONSE '));
    expect(JSON.parse(response!.slice('RESPONSE '.length))).toStrictEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    const json = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const emf = json.filter((entry) => entry._aws !== undefined) as Array<Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } }>;
    expect(emf.length).toBeGreaterThanOrEqual(2);
    for (const entry of emf) {
      expect(entry._aws.CloudWatchMetrics[0]!.Namespace).toBe('Batchfetch');
      for (const metric of entry._aws.CloudWatchMetrics[0]!.Metrics) expect(entry).toHaveProperty([metric.Name]);
      for (const dimension of entry._aws.CloudWatchMetrics[0]!.Dimensions.flat()) expect(['service', 'ErrorCode', 'Reason']).toContain(dimension);
    }
    const main = emf.find((entry) => 'UrlsFetched' in entry)!;
    expect(main).toMatchObject({ UrlsFetched: 3, UrlsSucceeded: 1, UrlsFailed: 2, BlockedDestinations: 1, FailedRecords: 1, service: 'fetch-batch' });
    expect(main.FetchLatency).toHaveLength(3);
    const byCode = emf.filter((entry) => 'UrlsFailedByCode' in entry).map((entry) => [entry.ErrorCode, entry.UrlsFailedByCode]);
    expect(byCode.sort()).toStrictEqual([['BLOCKED_DESTINATION', 1], ['HTTP_STATUS', 1]]);
    const byReason = emf.filter((entry) => 'FailedRecordsByReason' in entry).map((entry) => [entry.Reason, entry.FailedRecordsByReason]);
    expect(byReason).toStrictEqual([['INVALID_MESSAGE', 1]]);
    const results = json.filter((entry) => entry.message === 'fetch result').map((entry) => entry.result as { url: string });
    expect(results.map((r) => r.url).sort()).toStrictEqual(['http://10.1.2.3/', server.url('/missing'), server.url('/ok')].sort());
    expect(json.some((entry) => entry.level === 'WARN' && entry.messageId === bad.messageId)).toBe(true);
  });
});

/**
 * The bundle loads each AWS SDK client from a chunk of its own, only where its configuration uses
 * it (infra/bundling.ts): DynamoDB at init, SQS at the first continuation, S3 and EventBridge when
 * the job finishes. Real SQS/S3 (fauxqs) and DynamoDB (dynalite) servers on 127.0.0.1, reached
 * through the SDK's service endpoint variables; EventBridge, which no one can run here, is a
 * server that records PutEvents.
 */
describe('the bundled fetch-batch function loads the SDK clients its configuration uses', () => {
  let server: TestServer;
  let sqs: EmbeddedSqs;
  let ddb: EmbeddedDynamoDb;
  let events: Server;
  const putEvents: Array<{ target: string; body: { Entries: Array<{ DetailType: string; Detail: string }> } }> = [];

  beforeAll(async () => {
    [sqs, ddb] = await Promise.all([startEmbeddedSqs(), startEmbeddedDynamoDb()]);
    sqs.createBucket('results');
    events = createServer((req: IncomingMessage, res) => void (async () => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      putEvents.push({ target: String(req.headers['x-amz-target']), body: JSON.parse(body) });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }));
    })()).listen(0, '127.0.0.1');
    await new Promise((resolve) => events.once('listening', resolve));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([sqs.stop(), ddb.stop(), new Promise((resolve) => events.close(resolve))]);
  });

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/slow': routes.slow(2_500) });
  });

  afterEach(async () => {
    await server.close();
  });

  test('a job cut off once, continued and finished: continuation through SQS, summary in S3, completion event', async () => {
    const queue = await sqs.createQueue(`bundled-${Date.now()}`);
    const enqueue = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls: 3, allowNetworks: [], jobsTable: ddb.table, resultsBucket: undefined, resultsPrefix: 'results/', eventBusName: undefined },
      logger: new Logger({ logLevel: 'SILENT' }), sqs: sqs.client, dynamodb: ddb.client,
    });
    await enqueue({ urls: [server.url('/ok?1'), server.url('/ok?2'), server.url('/slow')], jobId: 'bundled-job' }, lambdaContext());
    const receive = async () => (await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
    const env = {
      FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0',
      JOBS_TABLE: ddb.table, CONTINUATION_QUEUE_URL: queue.queueUrl, RESULTS_BUCKET: 'results',
      AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint, AWS_ENDPOINT_URL_S3: sqs.endpoint, AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(events.address() as AddressInfo).port}`,
    };

    // First invocation: 1.5 s left before the margin, so /slow is cut off and continues.
    const first = await runFetchBatchBundle(toSqsEvent(await receive(), queue.queueArn), { ...env, DEADLINE_MARGIN_MS: '28500' });
    expect(first.lines.find((line) => line.startsWith('RESPONSE '))).toBe('RESPONSE {"batchItemFailures":[]}');
    const continued = await receive();
    expect(continued).toHaveLength(1);
    expect(JSON.parse(continued[0]!.Body!).urls).toStrictEqual([server.url('/slow')]);
    expect(putEvents).toHaveLength(0);

    const second = await runFetchBatchBundle(toSqsEvent(continued, queue.queueArn), { ...env, DEADLINE_MARGIN_MS: '0' });
    expect(second.lines.find((line) => line.startsWith('RESPONSE '))).toBe('RESPONSE {"batchItemFailures":[]}');
    // The count that ended the job asked for its end in a message of its own; a third invocation writes it.
    expect(putEvents).toHaveLength(0);
    const end = await receive();
    expect(end.map((message) => message.Body)).toStrictEqual(['{"jobEnd":{"id":"bundled-job"}}']);
    const third = await runFetchBatchBundle(toSqsEvent(end, queue.queueArn), env);
    expect(third.lines.find((line) => line.startsWith('RESPONSE '))).toBe('RESPONSE {"batchItemFailures":[]}');
    expect(putEvents).toHaveLength(1);
    expect(putEvents[0]!.target).toBe('AWSEvents.PutEvents');
    expect(putEvents[0]!.body.Entries[0]!.DetailType).toBe('Batchfetch Job Completed');
    expect(JSON.parse(putEvents[0]!.body.Entries[0]!.Detail)).toMatchObject({ jobId: 'bundled-job', status: 'completed', total: 3, done: 3, counts: { ok: 3, failed: 0 } });
    const s3 = new S3Client({ endpoint: sqs.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'results', Prefix: 'results/job=bundled-job/' }))).Contents ?? []).map((o) => o.Key);
    s3.destroy();
    expect(keys).toEqual(expect.arrayContaining(['results/job=bundled-job/_summary.json', 'results/job=bundled-job/_manifest.json']));
    expect(keys.filter((key) => key!.endsWith('.jsonl'))).toHaveLength(2);
  }, 60_000);
});
