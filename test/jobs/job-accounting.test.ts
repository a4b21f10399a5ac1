import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig } from '../../lib/index.ts';
import { JobStore } from '../../lib/jobs/job-store.ts';
import { JobTally } from '../../lib/jobs/job-tally.ts';
import { createJobsTable } from '../../lib/jobs/jobs-table.ts';
import { DynamoRateLeases } from '../../lib/politeness/rate-leases.ts';
import { DynamoRobotsStore } from '../../lib/politeness/robots-store.ts';
import type { JobSummary } from '../../lib/jobs/job-summary.ts';
import { toSqsEvent } from '../../lib/queue/sqs-event.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { MemorySink } from '../support/memory-sink.ts';
import { routes, TestServer } from '../support/test-server.ts';

/*
 * Exactly-once job accounting, forced through the real enqueue and fetch-batch handlers against
 * a real SQS-protocol server (fauxqs) and a real DynamoDB-protocol server (dynalite): every case
 * that delivers or sends a message more than once, or cuts one short, must end with the job's
 * counts equal to its URLs and one completion.
 */
describe('job accounting (exactly once)', () => {
  let sqs: EmbeddedSqs;
  let ddb: EmbeddedDynamoDb;
  let server: TestServer;
  let queues = 0;
  const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

  beforeAll(async () => {
    [sqs, ddb] = await Promise.all([startEmbeddedSqs(), startEmbeddedDynamoDb()]);
  });

  afterAll(async () => {
    await Promise.all([sqs.stop(), ddb.stop()]);
  });

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/missing': routes.text('no', 404), '/hang': routes.hang() });
  });

  afterEach(async () => {
    await server.close();
  });

  /** A queue, the two handlers wired to it and to the jobs table, and the completions seen. */
  async function pipeline(env: Record<string, string> = {}, enqueuerDynamoDb: DynamoDBClient = ddb.client) {
    queues += 1;
    const queue = await sqs.createQueue(`jobs-${Date.now()}-${queues}`, { VisibilityTimeout: '1' });
    const completions: JobSummary[] = [];
    const announceJob = async (summary: JobSummary) => { completions.push(summary); };
    const enqueue = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls: 1, allowNetworks: [], jobsTable: ddb.table, resultsBucket: undefined, resultsPrefix: 'results/', eventBusName: undefined },
      logger: silent, sqs: sqs.client, dynamodb: enqueuerDynamoDb,
    });
    const sink = new MemorySink();
    const fetchBatch = await createFetchBatchHandler({
      config: readConsumerConfig({
        FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', JOBS_TABLE: ddb.table, CONTINUATION_QUEUE_URL: queue.queueUrl, DEADLINE_MARGIN_MS: '1000', ...env,
      }),
      logger: silent, sink, sqs: sqs.client, dynamodb: ddb.client, announceJob,
    });
    const receive = async (): Promise<Message[]> => (await sqs.client.send(new ReceiveMessageCommand({
      QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }))).Messages ?? [];
    const remove = async (messages: readonly Message[]) => {
      if (messages.length === 0) return;
      await sqs.client.send(new DeleteMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    };
    /** What Lambda's event source does: receive, invoke, delete what was acknowledged; bounded rounds. */
    const consume = async (options: { timeoutMs?: number; deliverTwice?: boolean } = {}) => {
      for (let round = 0; round < 300; round++) {
        const messages = await receive();
        if (messages.length === 0) {
          // Failed messages come back after the 1 s visibility timeout.
          const { Attributes } = await sqs.client.send(new (await import('@aws-sdk/client-sqs')).GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
          if (Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        const event = toSqsEvent(messages, queue.queueArn);
        const response = await fetchBatch(event, lambdaContext(options.timeoutMs ?? 10_000));
        if (options.deliverTwice) {
          const again = { Records: event.Records.map((r): SQSRecord => ({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: '2' } })) };
          await fetchBatch(again, lambdaContext(options.timeoutMs ?? 10_000));
        }
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        await remove(messages.filter((m) => !failed.has(m.MessageId!)));
      }
      throw new Error('the queue did not drain');
    };
    const store = new JobStore(ddb.client, ddb.table);
    return { queue, enqueue, fetchBatch, consume, completions, sink, store, receive, remove };
  }

  const urlsOf = (ok: number, missing: number) => [
    ...Array.from({ length: ok }, (_, i) => server.url(`/ok?${i}`)),
    ...Array.from({ length: missing }, (_, i) => server.url(`/missing?${i}`)),
  ];

  test('a job over three accounting shards completes once, with every URL counted by outcome', async () => {
    const p = await pipeline();
    const enqueued = await p.enqueue({ urls: urlsOf(230, 20), jobId: 'three-shards' }, lambdaContext());
    expect(enqueued).toMatchObject({ jobId: 'three-shards', urls: 250, messages: 250 });

    await p.consume();

    expect(p.completions).toHaveLength(1);
    expect(p.completions[0]).toMatchObject({
      jobId: 'three-shards', status: 'completed', total: 250, done: 250, counts: { ok: 230, failed: 20, byCode: { HTTP_STATUS: 20 } },
    });
    expect(await p.store.summary('three-shards')).toMatchObject({ status: 'completed', done: 250 });
  });

  test('every message delivered twice: counted once, and the second delivery fetches nothing', async () => {
    const p = await pipeline();
    await p.enqueue({ urls: urlsOf(40, 5), jobId: 'redelivered' }, lambdaContext());

    await p.consume({ deliverTwice: true });

    expect(server.hitsOf('/ok') + server.hitsOf('/missing')).toBe(45);
    expect(p.sink.results).toHaveLength(45);
    expect(p.completions).toHaveLength(1);
    expect(p.completions[0]).toMatchObject({ total: 45, done: 45, counts: { ok: 40, failed: 5 } });
  });

  test('every message sent twice (a retried enqueue): counted once', async () => {
    const p = await pipeline();
    await p.enqueue({ urls: urlsOf(30, 0), jobId: 'sent-twice' }, lambdaContext());
    const bodies: string[] = [];
    for (let messages = await p.receive(); messages.length > 0; messages = await p.receive()) {
      bodies.push(...messages.map((m) => m.Body!));
      await p.remove(messages);
    }
    for (const copy of [0, 1]) {
      for (let i = 0; i < bodies.length; i += 10) {
        await sqs.client.send(new SendMessageBatchCommand({ QueueUrl: p.queue.queueUrl, Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: `${copy}-${j}`, MessageBody: body })) }));
      }
    }

    await p.consume();

    expect(p.completions).toHaveLength(1);
    expect(p.completions[0]).toMatchObject({ total: 30, done: 30, counts: { ok: 30, failed: 0 } });
  });

  test('the same job id enqueued twice sends its URLs once', async () => {
    const p = await pipeline();
    await p.enqueue({ urls: urlsOf(12, 0), jobId: 'once' }, lambdaContext());
    const second = await p.enqueue({ urls: urlsOf(12, 0), jobId: 'once' }, lambdaContext());

    expect(second).toMatchObject({ jobId: 'once', duplicate: true, urls: 12 });
    await p.consume();
    expect(server.hitsOf('/ok')).toBe(12);
    expect(p.completions).toHaveLength(1);
  });

  test('deadline continuations: the cut-off URLs are counted once, with the continuation', async () => {
    const p = await pipeline();
    server.route('/slow-then-ok', (_req, res) => { setTimeout(() => res.end('late'), 2_500); });
    await p.enqueue({ urls: [server.url('/ok?a'), server.url('/slow-then-ok'), server.url('/ok?b')], jobId: 'continued', messageUrls: 3 }, lambdaContext());

    // 1.8 s invocations less a 1 s margin: /slow-then-ok is cut off, then continued, until it lands.
    server.route('/slow-then-ok', (_req, res) => { setTimeout(() => res.end('late'), server.hitsOf('/slow-then-ok') > 1 ? 0 : 2_500); });
    await p.consume({ timeoutMs: 1_800 });

    expect(p.completions).toHaveLength(1);
    expect(p.completions[0]).toMatchObject({ total: 3, done: 3, counts: { ok: 3, failed: 0 } });
    expect(p.sink.results.map((r) => r.url).sort()).toStrictEqual([server.url('/ok?a'), server.url('/ok?b'), server.url('/slow-then-ok')]);
  });

  test('a consumer that dies after counting but before sending the continuation: the redelivery sends that same continuation', async () => {
    const p = await pipeline();
    await p.enqueue({ urls: [server.url('/ok?a'), server.url('/hang')], jobId: 'replayed', messageUrls: 2 }, lambdaContext());
    const [message] = await p.receive();
    const record = toSqsEvent([message!], p.queue.queueArn);
    // The continuation send fails, as if the process died right after counting.
    const broken = await createFetchBatchHandler({
      config: readConsumerConfig({ FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', JOBS_TABLE: ddb.table, CONTINUATION_QUEUE_URL: 'http://127.0.0.1:1/nowhere', DEADLINE_MARGIN_MS: '1000' }),
      logger: silent, sink: p.sink, sqs: sqs.client, dynamodb: ddb.client,
    });
    expect((await broken(record, lambdaContext(1_600))).batchItemFailures).toHaveLength(1);
    expect(await p.store.summary('replayed')).toMatchObject({ done: 1, status: 'running' });

    server.route('/hang', routes.text('now'));
    const hitsBefore = server.hitsOf('/ok');
    await p.consume();

    // The redelivery fetched nothing of its own; the continuation carried /hang, which now answers.
    expect(server.hitsOf('/ok')).toBe(hitsBefore);
    expect(p.completions).toHaveLength(1);
    expect(p.completions[0]).toMatchObject({ total: 2, done: 2, counts: { ok: 2 } });
  });

  test('a failure to count fails the record; its redelivery counts it once', async () => {
    const p = await pipeline();
    await p.enqueue({ urls: urlsOf(3, 0), jobId: 'count-failed', messageUrls: 3 }, lambdaContext());
    const [message] = await p.receive();
    const unreachable = await createFetchBatchHandler({
      config: readConsumerConfig({ FETCH_ALLOW_NETWORKS: '127.0.0.0/8', JOBS_TABLE: ddb.table }),
      logger: silent, sink: p.sink, dynamodb: new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
    });
    const response = await unreachable(toSqsEvent([message!], p.queue.queueArn), lambdaContext());
    expect(response.batchItemFailures).toStrictEqual([{ itemIdentifier: message!.MessageId }]);

    await p.consume();

    expect(p.completions).toHaveLength(1);
    expect(p.completions[0]).toMatchObject({ total: 3, done: 3 });
  });

  test('a job with more failures than it tolerates ends failed', async () => {
    const p = await pipeline();
    await p.enqueue({ urls: urlsOf(8, 2), jobId: 'intolerant', toleratedFailurePercentage: 10 }, lambdaContext());

    await p.consume();

    expect(p.completions).toMatchObject([{ status: 'failed', counts: { failed: 2 }, toleratedFailurePercentage: 10 }]);
    expect(await p.store.summary('intolerant')).toMatchObject({ status: 'failed' });
  });

  test('an enqueuer that died after sending, with the job still enqueuing: enqueued again, every URL counted once', async () => {
    // The first enqueuer sends every message, then dies before marking the job running (its
    // DynamoDB client fails that one write), as a crashed or timed-out invocation would.
    const dying = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    dying.middlewareStack.add((next) => async (args) => {
      if ((args.input as { UpdateExpression?: string }).UpdateExpression?.startsWith('SET #status = :running')) throw new Error('the enqueuer died');
      return next(args);
    }, { step: 'initialize' });
    const first = await pipeline({}, dying);
    await expect(first.enqueue({ urls: urlsOf(25, 5), jobId: 'half-enqueued' }, lambdaContext())).rejects.toThrow('the enqueuer died');
    expect(await first.store.summary('half-enqueued')).toMatchObject({ status: 'enqueuing' });
    dying.destroy();

    // The retry (Lambda retries a failed asynchronous invocation) sends every message again.
    const retried = await pipeline();
    const summary = await retried.enqueue({ urls: urlsOf(25, 5), jobId: 'half-enqueued' }, lambdaContext());
    expect(summary).toMatchObject({ jobId: 'half-enqueued', urls: 30 });
    expect(summary).not.toHaveProperty('duplicate');
    // Both copies of every message are consumed (the first enqueuer's queue and the retry's).
    await first.consume();
    await retried.consume();

    const completions = [...first.completions, ...retried.completions];
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ jobId: 'half-enqueued', status: 'completed', total: 30, done: 30, counts: { ok: 25, failed: 5 } });
  });

  test('two consumers finishing the last shards of a job at the same moment: exactly one announces it', async () => {
    const store = new JobStore(ddb.client, ddb.table);
    const tally = () => {
      const t = new JobTally();
      t.finals = 1;
      t.ok = 1;
      return t;
    };
    for (let round = 0; round < 8; round++) {
      const jobId = `race-${round}`;
      expect(await store.create({ jobId })).toStrictEqual({ created: true });
      // Two shards of one message each (message keys 0 and 100), both sent.
      await store.shardEnqueued(jobId, 0, 1);
      await store.shardEnqueued(jobId, 1, 1);
      expect(await store.enqueued(jobId, { total: 2, messages: 2, invalid: 0, shards: 2 })).toBeUndefined();

      // Each consumer counts the last message of its shard, at once.
      const outcomes = await Promise.all([store.count({ id: jobId, key: '0' }, tally(), []), store.count({ id: jobId, key: '100' }, tally(), [])]);

      expect(outcomes.map((outcome) => outcome.outcome)).toStrictEqual(['counted', 'counted']);
      const announced = outcomes.filter((outcome) => outcome.completed !== undefined);
      expect(announced).toHaveLength(1);
      expect(announced[0]!.completed).toMatchObject({ jobId, status: 'completed', done: 2 });
      expect(await store.summary(jobId)).toMatchObject({ status: 'completed', done: 2 });
    }
  });

  test('listing jobs reads job headers only, newest first: never shards, rate windows or robots.txt items', async () => {
    // A table of its own, holding jobs with shards beside the fleet's politeness state.
    const table = `listing-${queues += 1}`;
    await createJobsTable(ddb.client, table);
    let clock = Date.parse('2026-12-01T00:00:00Z');
    const store = new JobStore(ddb.client, table, () => new Date(clock += 1_000));
    for (const jobId of ['older', 'newer']) {
      await store.create({ jobId });
      await store.shardEnqueued(jobId, 0, 1);
      await store.enqueued(jobId, { total: 1, messages: 1, invalid: 0, shards: 1 });
    }
    await new DynamoRateLeases(ddb.client, table).lease('a.example', 5, 2);
    await new DynamoRobotsStore(ddb.client, table).put('https://a.example', { kind: 'allow', expiresAt: clock + 60_000 });

    const listed = await store.list();

    expect(listed.map((job) => [job.jobId, job.status])).toStrictEqual([['newer', 'running'], ['older', 'running']]);
    // The politeness state is there all the same, beside the jobs.
    expect(await new DynamoRobotsStore(ddb.client, table).get('https://a.example')).toMatchObject({ kind: 'allow' });
  });

  test('an empty job (every line invalid) completes at enqueue, and its end is announced by the consumer of its job-end message', async () => {
    const p = await pipeline();
    const summary = await p.enqueue({ urls: ['not a url', 'ftp://x/'], jobId: 'empty' }, lambdaContext());

    expect(summary).toMatchObject({ urls: 0, invalid: 2, completed: { status: 'completed', total: 0, invalid: 2 } });
    expect(p.completions).toHaveLength(0);
    await p.consume();
    expect(p.completions).toMatchObject([{ jobId: 'empty', status: 'completed', invalid: 2 }]);
  });
});
