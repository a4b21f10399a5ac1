import { S3Sink } from '../../lib/sinks/s3-sink.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { JobLab, redelivered } from '../support/job-lab.ts';

/*
 * Counted means stored: a job's message is stored (the first delivery to store it wins, an S3
 * conditional write) before it is counted, so a job ends only when every counted message's
 * records exist, and its counts, its records, `_manifest.json` and `_changes.jsonl` agree.
 * Real SQS and S3 (fauxqs), real DynamoDB (dynalite), and a proxy in front of S3 that delays or
 * fails chosen calls. Each case is a row of the table in docs/jobs.md.
 */
describe('counted means stored, however deliveries interleave', () => {
  let lab: JobLab;

  beforeAll(async () => { lab = await JobLab.start(); });
  afterAll(async () => { await lab.close(); });

  test('a slow PUT of one message\'s records: the job ends only once they are stored, and its manifest and report list all of them', async () => {
    const world = await lab.world('slow-put');
    const urls = [0, 1, 2, 3].map((i) => lab.server.url(`/ok?slow-${i}`));
    await world.enqueue('slow', urls, 1);
    const messages = await world.receive();
    expect(messages).toHaveLength(4);
    lab.faults.add({ method: 'PUT', key: /job=slow\/0\.jsonl$/, delayMs: 1_500 });

    const { batchItemFailures } = await (await world.consumer())(world.eventOf(messages), lambdaContext(10_000));

    expect(batchItemFailures).toStrictEqual([]);
    expect(await world.settleEnds()).toStrictEqual([]);
    expect(world.completions).toHaveLength(1);
    const stored = await lab.expectAgreement('slow', urls);
    expect(stored.recordKeys).toHaveLength(4);
    expect(world.completions[0]).toMatchObject({ done: 4 });
  });

  test('two deliveries at once, one cut off by its deadline: the first to store stands, the other counts what it stored', async () => {
    const world = await lab.world('twice');
    let slowHits = 0;
    // Slow the first two times (both deliveries), then at once (the continuation).
    lab.server.route('/slow-twice', (_req, res) => {
      slowHits += 1;
      setTimeout(() => res.end('late'), slowHits <= 2 ? 1_500 : 0);
    });
    const urls = [lab.server.url('/ok?twice-a'), lab.server.url('/slow-twice'), lab.server.url('/ok?twice-b')];
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
      .toStrictEqual(continued.map(() => expect.objectContaining({ requests: [expect.objectContaining({ url: lab.server.url('/slow-twice') })], job: { id: 'twice', key: '0~0' } })));
    expect((await consumer(world.eventOf(continued), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(await world.settleEnds()).toStrictEqual([]);

    expect(world.completions).toHaveLength(1);
    const stored = await lab.expectAgreement('twice', urls);
    expect(stored.recordKeys).toStrictEqual(['results/job=twice/0.jsonl', 'results/job=twice/0~0.jsonl']);
  });

  test('a delivery whose PUT is slow loses to a redelivery that stores first: the counts are the stored records\', not its own', async () => {
    const world = await lab.world('lost-race');
    // The first fetch of /flaky answers 500, later ones 200: which delivery's records stand shows in the counts.
    let flakyHits = 0;
    lab.server.route('/flaky', (_req, res) => {
      flakyHits += 1;
      res.statusCode = flakyHits === 1 ? 500 : 200;
      res.end('x');
    });
    const urls = [lab.server.url('/flaky'), lab.server.url('/ok?lost-race')];
    await world.enqueue('lost-race', urls, 2);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    lab.faults.add({ method: 'PUT', key: /job=lost-race\/0\.jsonl$/, delayMs: 1_500 });
    const consumer = await world.consumer();

    // The first delivery (500) is held at its PUT; the redelivery (200) stores first and counts.
    const slow = consumer(event, lambdaContext(10_000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fast = await consumer(redelivered(event), lambdaContext(10_000));
    expect(fast.batchItemFailures).toStrictEqual([]);
    expect((await slow).batchItemFailures).toStrictEqual([]);

    expect(flakyHits).toBe(2);
    expect(await world.settleEnds()).toStrictEqual([]);
    expect(world.completions).toHaveLength(1);
    const stored = await lab.expectAgreement('lost-race', urls);
    expect(stored.records.find((record) => record.url === lab.server.url('/flaky'))).toMatchObject({ ok: true, status: 200 });
    expect(stored.summary.counts).toStrictEqual({ ok: 2, failed: 0, byCode: {} });
  });

  test('the records PUT fails: nothing is counted, the record fails, and the redelivery stores and counts it once', async () => {
    const world = await lab.world('put-fails');
    const urls = [lab.server.url('/ok?put-fails-a'), lab.server.url('/ok?put-fails-b')];
    await world.enqueue('put-fails', urls, 2);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    // More 500s than the SDK's attempts (3 by default).
    const fault = lab.faults.add({ method: 'PUT', key: /job=put-fails\/0\.jsonl$/, status: 500, times: 5 });
    const consumer = await world.consumer();

    const failed = await consumer(event, lambdaContext(10_000));
    expect(failed.batchItemFailures).toStrictEqual([{ itemIdentifier: messages[0]!.MessageId }]);
    expect((await lab.store.summary('put-fails'))).toMatchObject({ status: 'running', done: 0 });
    fault.applied = 5;

    expect((await consumer(redelivered(event), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(await world.settleEnds()).toStrictEqual([]);

    expect(world.completions).toHaveLength(1);
    await lab.expectAgreement('put-fails', urls);
  });

  test('a PUT that lands but is answered 500: the SDK\'s retry is refused (412), and the delivery counts the records it had stored', async () => {
    const world = await lab.world('ambiguous');
    const urls = [lab.server.url('/ok?ambiguous-a'), lab.server.url('/ok?ambiguous-b')];
    await world.enqueue('ambiguous', urls, 2);
    const messages = await world.receive(1);
    lab.faults.add({ method: 'PUT', key: /job=ambiguous\/0\.jsonl$/, status: 500, failAfterForward: true });

    expect((await (await world.consumer())(world.eventOf(messages), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(lab.faults.callsTo('PUT', /job=ambiguous\/0\.jsonl$/)).toHaveLength(2);
    expect(await world.settleEnds()).toStrictEqual([]);
    expect(world.completions).toHaveLength(1);
    await lab.expectAgreement('ambiguous', urls);
  });

  test('a message whose URLs were all handed on stores an empty object; its redelivery replays and the job is announced once', async () => {
    const world = await lab.world('empty');
    lab.server.route('/empty-slow', (_req, res) => { setTimeout(() => res.end('late'), 1_000); });
    const urls = [lab.server.url('/empty-slow')];
    await world.enqueue('empty', urls, 1);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    const consumer = await world.consumer({ DEADLINE_MARGIN_MS: '1000' });

    // 1.3 s less a 1 s margin: the only URL is cut off and handed on.
    expect((await consumer(event, lambdaContext(1_300))).batchItemFailures).toStrictEqual([]);
    expect(await lab.text('results/job=empty/0.jsonl')).toBe('');
    // Redelivered (the consumer died before deleting it): counted already, so it only sends the
    // recorded continuation again; both copies of the continuation are one message key.
    expect((await consumer(redelivered(event), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);
    await world.remove(messages);
    const continued = await world.receive();
    expect(continued).toHaveLength(2);
    expect((await consumer(world.eventOf(continued), lambdaContext(10_000))).batchItemFailures).toStrictEqual([]);

    expect(await world.settleEnds()).toStrictEqual([]);

    expect(world.completions).toHaveLength(1);
    const stored = await lab.expectAgreement('empty', urls);
    expect(stored.recordKeys).toStrictEqual(['results/job=empty/0.jsonl', 'results/job=empty/0~0.jsonl']);
  });

  test('a message stored by a delivery that died before counting: two redeliveries at once count it once, fetching nothing', async () => {
    const world = await lab.world('adopted');
    const urls = [lab.server.url('/ok?adopted-a'), lab.server.url('/ok?adopted-b')];
    await world.enqueue('adopted', urls, 2);
    const messages = await world.receive(1);
    const event = world.eventOf(messages);
    // What a consumer killed between its store and its count leaves: the stored object, no count.
    const [record] = event.Records;
    const origin = { messageId: record!.messageId, job: { id: 'adopted', key: '0' } };
    const dead = new S3Sink({ client: lab.s3, bucket: lab.bucket });
    const fetched = urls.map((url) => ({ url, ok: true, status: 200, attempts: 1, redirects: 0, latencyMs: 3, bytes: 2, change: 'new' as const, error: null }));
    await dead.write(fetched, origin);
    expect(await dead.store(origin, [])).toStrictEqual({ kind: 'stored' });
    const hitsBefore = lab.server.hitsOf('/ok');
    const consumer = await world.consumer();

    const [first, second] = await Promise.all([consumer(redelivered(event, 2), lambdaContext(10_000)), consumer(redelivered(event, 3), lambdaContext(10_000))]);

    expect(first.batchItemFailures).toStrictEqual([]);
    expect(second.batchItemFailures).toStrictEqual([]);
    expect(lab.server.hitsOf('/ok')).toBe(hitsBefore);
    expect(await world.settleEnds()).toStrictEqual([]);
    expect(world.completions).toHaveLength(1);
    await lab.expectAgreement('adopted', urls);
  });
});
