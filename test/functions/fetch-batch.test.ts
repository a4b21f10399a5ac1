import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig, type FetchResult } from '../../lib/index.ts';
import { toSqsEvent } from '../../lib/queue/sqs-event.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { MemorySink } from '../support/memory-sink.ts';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { routes, TestServer } from '../support/test-server.ts';

const quietLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

describe('fetch-batch handler', () => {
  let server: TestServer;
  let sqs: EmbeddedSqs;

  beforeAll(async () => {
    sqs = await startEmbeddedSqs();
  });

  afterAll(async () => {
    await sqs.stop();
  });

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/hang': routes.hang(), '/missing': routes.text('no', 404) });
  });

  afterEach(async () => {
    await server.close();
  });

  const config = (env: Record<string, string> = {}) => readConsumerConfig({ FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', ...env });

  test('mixed outcomes and an unparsable record: only the unparsable one fails', async () => {
    // Prepare
    const sink = new MemorySink();
    const handler = await createFetchBatchHandler({ config: config(), logger: quietLogger(), sink });
    const bad = sqsRecord('not json');
    const event = sqsEvent(sqsRecord({ urls: [server.url('/ok'), server.url('/missing')] }), bad, sqsRecord({ urls: ['gopher://x'] }));

    // Act
    const response = await handler(event, lambdaContext());

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    expect(sink.results.map((r) => r.error?.code ?? 'OK').sort()).toStrictEqual(['HTTP_STATUS', 'INVALID_URL', 'OK']);
  });

  test('a deadline in the middle of a batch: returns in time, hands unfinished URLs on, and never refetches a finished one', async () => {
    const queue = await sqs.createQueue(`continue-${Date.now()}`);
    const sink = new MemorySink();
    const handler = await createFetchBatchHandler({
      config: config({ CONTINUATION_QUEUE_URL: queue.queueUrl, DEADLINE_MARGIN_MS: '1000', FETCH_RETRIES: '1' }),
      logger: quietLogger(), sink, sqs: sqs.client,
    });
    const urls = [server.url('/ok?a'), server.url('/hang?b'), server.url('/ok?c')];
    const context = lambdaContext(3_000);

    const first = await handler(sqsEvent(sqsRecord({ urls })), context);

    // Order, not speed: the answer came before the deadline the handler was given had passed.
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(first).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => r.url).sort()).toStrictEqual([server.url('/ok?a'), server.url('/ok?c')]);

    // The continuation is a real message on the queue; the next invocation finishes it.
    server.route('/hang', routes.text('late'));
    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(received.Messages).toHaveLength(1);
    // Cut off by the deadline, its request was not an attempt: it goes on with every retry left.
    expect(JSON.parse(received.Messages![0]!.Body!)).toStrictEqual({ urls: [server.url('/hang?b')], hop: 1 });
    const second = await handler(toSqsEvent(received.Messages!, queue.queueArn), lambdaContext(10_000));

    expect(second).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => r.url).sort()).toStrictEqual([...urls].sort());
    expect(sink.results.find((r) => r.url === server.url('/hang?b'))).toMatchObject({ ok: true, attempts: 1 });
    expect(server.hitsOf('/ok')).toBe(2);
  });

  test('without a continuation queue, a cut-off URL ends ABORTED and its record is acknowledged', async () => {
    const sink = new MemorySink();
    const handler = await createFetchBatchHandler({ config: config({ DEADLINE_MARGIN_MS: '1000' }), logger: quietLogger(), sink });
    const record = sqsRecord({ urls: [server.url('/ok'), server.url('/hang')] });

    const response = await handler(sqsEvent(record), lambdaContext(1_400));

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => r.error?.code ?? 'OK').sort()).toStrictEqual(['ABORTED', 'OK']);
  });

  test.each([
    ['{}', {}, 'fetch-batch expects an SQS event ({"Records": [...]}), got {}'],
    ['null', null, 'fetch-batch expects an SQS event ({"Records": [...]}), got null'],
    ['a record without messageId', { Records: [{ body: '{"urls":[]}' }] },
      'fetch-batch expects SQS records, each with a messageId; record 0 has none, so it cannot be failed on its own: the whole batch is refused'],
  ])('an event that is not from SQS (%s) is refused with a clear error before any fetch', async (_name, event, message) => {
    const sink = new MemorySink();
    const handler = await createFetchBatchHandler({ config: config(), logger: quietLogger(), sink });

    await expect(handler(event as never, lambdaContext())).rejects.toThrow(message);
    expect(sink.results).toStrictEqual([]);
  });

  test('a malformed record among good ones fails alone, with a message that says what is wrong with it', async () => {
    const sink = new MemorySink();
    const warnings: string[] = [];
    const logger = quietLogger();
    Object.assign(logger, { warn: (message: string, fields: { reason?: string; problem?: string }) => { warnings.push(`${fields.reason ?? message}: ${fields.problem}`); } });
    const handler = await createFetchBatchHandler({ config: config(), logger, sink });
    const good = sqsRecord({ urls: [server.url('/ok')] });
    const event = { Records: [good, { ...good, messageId: 'no-body', body: 42 }, { ...good, messageId: 's3', eventSource: 'aws:s3' }] };

    const response = await handler(event as never, lambdaContext());

    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: 'no-body' }, { itemIdentifier: 's3' }] });
    expect(sink.results.map((r) => r.url)).toStrictEqual([server.url('/ok')]);
    expect(warnings).toStrictEqual(['INVALID_MESSAGE: record has no string body (number)', 'INVALID_MESSAGE: record is not from SQS (eventSource aws:s3)']);
  });

  test('the S3 sink stores one JSON-lines object per message, keyed by the message alone; a redelivery replaces it', async () => {
    const s3 = new S3Client({ endpoint: sqs.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const bucket = `results-${Date.now()}`;
    sqs.createBucket(bucket);
    const handler = await createFetchBatchHandler({
      config: config({ RESULTS_BUCKET: bucket, FETCH_BODY_MODE: 'keep' }),
      logger: quietLogger(), s3,
    });
    const record = sqsRecord({ urls: [server.url('/ok'), server.url('/missing')] });

    await handler(sqsEvent(record), lambdaContext());
    await handler(sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }), lambdaContext());

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((object) => object.Key!).sort();
    const resultKeys = keys.filter((key) => key.endsWith(`${record.messageId}.jsonl`));
    expect(resultKeys).toHaveLength(1);
    expect(resultKeys[0]).toBe(`results/${record.messageId}.jsonl`);
    const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: resultKeys[0] }))).Body!.transformToString();
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as FetchResult & { bodyKey?: string });
    expect(lines).toHaveLength(2);
    const ok = lines.find((line) => line.ok)!;
    expect(ok).not.toHaveProperty('body');
    expect(ok.bodyKey).toBe(`results/bodies/${ok.sha256}`);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: ok.bodyKey }))).Body!.transformToString();
    expect(body).toBe('ok');
    s3.destroy();
  });

  test('with timeoutEarly off (the worker), a batch that finishes after its time budget is still a batch, not an error', async () => {
    // Writing takes longer than the whole budget: on Lambda the invocation would end; in the worker it may finish late.
    const slowSink = { write: () => new Promise<void>((resolve) => setTimeout(resolve, 600)) };
    const worker = await createFetchBatchHandler({ config: config({ DEADLINE_MARGIN_MS: '100' }), logger: quietLogger(), sink: slowSink, timeoutEarly: false });
    const lambda = await createFetchBatchHandler({ config: config({ DEADLINE_MARGIN_MS: '100' }), logger: quietLogger(), sink: slowSink });

    expect(await worker(sqsEvent(sqsRecord({ urls: [server.url('/ok')] })), lambdaContext(300))).toStrictEqual({ batchItemFailures: [] });
    await expect(lambda(sqsEvent(sqsRecord({ urls: [server.url('/ok')] })), lambdaContext(300))).rejects.toThrow('The operation was aborted');
  });
});
