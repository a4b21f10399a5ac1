import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { jobEndBody } from '../../lib/schemas/job-end-message.ts';
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
      expect(await world.settleEnds()).toStrictEqual([]);
      expect(world.completions).toHaveLength(1);
      await lab.expectAgreement('end-retried', urls);
      // Delivered once more: nothing more is announced.
      expect((await (await world.consumer())(redelivered(event, 3), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);
      expect(await world.settleEnds()).toStrictEqual([]);
      expect(world.completions).toHaveLength(1);
    } finally {
      flaky.destroy();
    }
  });

  test('the count that ends a job asks for its end in a message of its own: the objects are written, then it is announced, once however often it is asked', async () => {
    const world = await lab.world('end-message');
    const urls = [lab.server.url('/ok?end-message')];
    await world.enqueue('end-message', urls, 1);
    const consumer = await world.consumer();

    expect((await consumer(world.eventOf(await world.receive()), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    // Ended (its status is final) but not written yet: nothing announced, no summary object.
    expect(await lab.store.summary('end-message')).toMatchObject({ status: 'completed', done: 1 });
    expect((await lab.store.summary('end-message'))?.announcedAt).toBeUndefined();
    expect(world.completions).toHaveLength(0);
    await expect(lab.text('results/job=end-message/_summary.json')).rejects.toThrow();

    expect(await world.settleEnds(consumer)).toStrictEqual([]);

    expect(world.completions).toHaveLength(1);
    expect(JSON.parse(await lab.text('results/job=end-message/_summary.json'))).toMatchObject({ jobId: 'end-message', status: 'completed', done: 1 });
    expect((await lab.store.summary('end-message'))?.announcedAt).toStrictEqual(expect.any(String));
    // Asked again (a duplicate of the message, two asks in one batch): nothing more.
    await lab.sqs.client.send(new SendMessageBatchCommand({ QueueUrl: world.queue.queueUrl, Entries: [0, 1].map((i) => ({ Id: String(i), MessageBody: jobEndBody('end-message') })) }));
    expect(await world.settleEnds(consumer)).toStrictEqual([]);
    expect(world.completions).toHaveLength(1);
  });

  test('a job\'s end whose objects cannot be written: the end message fails and is tried again until it lands, announced once', async () => {
    const world = await lab.world('end-fails');
    const urls = [lab.server.url('/ok?end-fails')];
    await world.enqueue('end-fails', urls, 1);
    const consumer = await world.consumer();
    expect((await consumer(world.eventOf(await world.receive()), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);
    // More 500s than the SDK's attempts, on the summary object.
    lab.faults.add({ method: 'PUT', key: /job=end-fails\/_summary\.json$/, status: 500, times: 3 });

    const failed = await world.settleEnds(consumer);

    expect(failed).toHaveLength(1);
    expect(world.completions).toHaveLength(0);
    // The failed try gave its lease back: the next ask (here a new message: the failed one comes
    // back after its visibility timeout) writes the end at once.
    await lab.sqs.client.send(new SendMessageCommand({ QueueUrl: world.queue.queueUrl, MessageBody: jobEndBody('end-fails') }));
    expect(await world.settleEnds(consumer)).toStrictEqual([]);
    expect(world.completions).toHaveLength(1);
    await lab.expectAgreement('end-fails', urls);
  });

  test('a job the enqueuer ends (nothing to fetch) asks for its end as consumers do: summary and manifest written, announced once, also when the enqueuer runs again', async () => {
    const world = await lab.world('end-empty');

    const summary = await world.enqueue('end-empty', ['not a url', 'ftp://example.com/'], 10);
    expect(summary).toMatchObject({ jobId: 'end-empty', completed: { status: 'completed', total: 0, invalid: 2 } });
    // The enqueuer run again (a retried firing) finds the job ended and not announced: it asks again.
    expect(await world.enqueue('end-empty', ['not a url'], 10)).toMatchObject({ duplicate: true });

    expect(await world.settleEnds()).toStrictEqual([]);
    expect(world.completions).toMatchObject([{ jobId: 'end-empty', status: 'completed', total: 0, invalid: 2 }]);
    expect(JSON.parse(await lab.text('results/job=end-empty/_summary.json'))).toMatchObject({ jobId: 'end-empty', status: 'completed', invalid: 2 });
    expect(JSON.parse(await lab.text('results/job=end-empty/_manifest.json'))).toMatchObject({ jobId: 'end-empty', resultObjects: [] });
  });

  test('a job-end message for a job that no longer exists is acknowledged with nothing to do', async () => {
    const world = await lab.world('end-gone');
    await lab.sqs.client.send(new SendMessageCommand({ QueueUrl: world.queue.queueUrl, MessageBody: jobEndBody('never-was') }));

    expect(await world.settleEnds()).toStrictEqual([]);
    expect(world.completions).toHaveLength(0);
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
