import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createEnqueueHandler } from '../../functions/enqueue/handler.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import type { JobSummary } from '../../lib/jobs/job-summary.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { JobLab, redelivered } from '../support/job-lab.ts';

/*
 * A job ends once, wherever its end is seen, and always with its objects: the consumer whose
 * count ends it, a later delivery that finds the last shard counted but the job not ended (the
 * counting consumer failed or died right after its count), or the enqueuer when nothing was left
 * to count. Real SQS/S3 (fauxqs) and DynamoDB (dynalite).
 */
describe('the end of a job', () => {
  let lab: JobLab;

  beforeAll(async () => { lab = await JobLab.start(); });
  afterAll(async () => { await lab.close(); });

  test('a count whose completion step fails: the record fails, and its redelivery (counted already) ends the job once, with its objects', async () => {
    const world = await lab.world('end-retried');
    const urls = [lab.server.url('/ok?end-a'), lab.server.url('/ok?end-b')];
    await world.enqueue('end-retried', urls, 2);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    // DynamoDB refuses the update that marks a shard complete (the step right after the count).
    const flaky = new DynamoDBClient({ endpoint: lab.ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    let refused = 0;
    flaky.middlewareStack.add((next) => async (args) => {
      const names = (args.input as { ExpressionAttributeNames?: Record<string, string> }).ExpressionAttributeNames;
      if (names?.['#complete'] === 'completeShards') {
        refused += 1;
        throw Object.assign(new Error('injected: throttled'), { name: 'ThrottlingException' });
      }
      return next(args);
    }, { step: 'initialize' });

    try {
      const first = await (await world.consumer({}, flaky))(event, lambdaContext(10_000));
      expect(first.batchItemFailures).toStrictEqual([{ itemIdentifier: messages[0]!.MessageId }]);
      expect(refused).toBe(1);
      expect(await lab.store.summary('end-retried')).toMatchObject({ status: 'running', done: 2 });
      expect(world.completions).toHaveLength(0);
      const hits = lab.server.hitsOf('/ok');

      const again = await (await world.consumer())(redelivered(event), lambdaContext(10_000));

      expect(again.batchItemFailures).toStrictEqual([]);
      expect(lab.server.hitsOf('/ok')).toBe(hits);
      expect(world.completions).toHaveLength(1);
      await lab.expectAgreement('end-retried', urls);
      // Delivered once more: nothing more is announced.
      expect((await (await world.consumer())(redelivered(event, 3), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);
      expect(world.completions).toHaveLength(1);
    } finally {
      flaky.destroy();
    }
  });

  test('a job the enqueuer ends (nothing to fetch) gets its summary and manifest too', async () => {
    const completions: JobSummary[] = [];
    const queue = await lab.sqs.createQueue(`end-empty-${Date.now()}`);
    const enqueue = createEnqueueHandler({
      config: { queueUrl: queue.queueUrl, messageUrls: 10, allowNetworks: [], jobsTable: lab.ddb.table, resultsBucket: lab.bucket, resultsPrefix: 'results/', eventBusName: undefined },
      logger: new Logger({ logLevel: 'SILENT' }), sqs: lab.sqs.client, dynamodb: lab.ddb.client, s3: lab.s3,
      announceJob: async (summary) => { completions.push(summary); },
    });

    await enqueue({ urls: ['not a url', 'ftp://example.com/'], jobId: 'end-empty' }, lambdaContext());

    expect(completions).toMatchObject([{ jobId: 'end-empty', status: 'completed', total: 0, invalid: 2 }]);
    expect(JSON.parse(await lab.text('results/job=end-empty/_summary.json'))).toMatchObject({ jobId: 'end-empty', status: 'completed', invalid: 2 });
    expect(JSON.parse(await lab.text('results/job=end-empty/_manifest.json'))).toMatchObject({ jobId: 'end-empty', resultObjects: [] });
  });

  test('a job\'s message consumed without a jobs table, delivered twice: the first stored stands and both are acknowledged', async () => {
    const world = await lab.world('untracked');
    const urls = [lab.server.url('/ok?untracked')];
    await world.enqueue('untracked', urls, 1);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    const consumer = await world.consumer({ JOBS_TABLE: '' });

    expect((await consumer(event, lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);
    expect((await consumer(redelivered(event), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    const listed = await lab.s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'results/job=untracked/' }));
    expect(listed.Contents?.map((object) => object.Key)).toStrictEqual(['results/job=untracked/0.jsonl']);
    expect(await lab.text('results/job=untracked/0.jsonl')).toContain(urls[0]);
  });
});
