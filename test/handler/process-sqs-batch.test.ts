import { ErrorCode } from '../../lib/index.ts';
import { processSqsBatch } from '../../lib/handler/process-sqs-batch.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { abortWhen, eventually } from '../support/eventually.ts';
import { MemorySink } from '../support/memory-sink.ts';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { routes, TestServer } from '../support/test-server.ts';

describe('processSqsBatch', () => {
  let server: TestServer;
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { warn: (message: string, fields: Record<string, unknown>) => { warnings.push({ message, ...fields }); } };

  beforeEach(async () => {
    warnings.length = 0;
    server = await TestServer.start({ '/ok': routes.text('ok'), '/hang': routes.hang() });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('acknowledges every record whose URLs all have results written', async () => {
    // Prepare
    const sink = new MemorySink();
    const event = sqsEvent(
      sqsRecord({ urls: [server.url('/ok'), server.url('/missing')] }),
      sqsRecord({ requests: [{ url: server.url('/ok'), id: 'r1' }, { url: 'ftp://nope' }] }),
    );

    // Act
    const response = await processSqsBatch(event, { engine: localEngine(), sink, logger });

    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => [r.url, r.status, r.error?.code ?? null]).sort()).toStrictEqual([
      [server.url('/missing'), 404, ErrorCode.HTTP_STATUS],
      [server.url('/ok'), 200, null],
      [server.url('/ok'), 200, null],
      ['ftp://nope', null, ErrorCode.INVALID_URL],
    ].sort());
  });

  test('an unparsable record is a batch item failure with a log line naming it; the others succeed', async () => {
    const sink = new MemorySink();
    const bad = sqsRecord('{"urls": "oops"');
    const good = sqsRecord({ urls: [server.url('/ok')] });

    const response = await processSqsBatch(sqsEvent(bad, good), { engine: localEngine(), sink, logger });

    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    expect(sink.results).toHaveLength(1);
    expect(warnings).toStrictEqual([{ message: 'message not acknowledged; SQS will deliver it again', messageId: bad.messageId, reason: 'INVALID_MESSAGE', path: 'invalid', problem: 'message body is not valid JSON' }]);
  });

  test('without a continuation, URLs cut off by the deadline end ABORTED and the record is acknowledged', async () => {
    const sink = new MemorySink();
    const deadline = new AbortController();
    const cut = sqsRecord({ urls: [server.url('/ok'), server.url('/hang')] });
    const done = sqsRecord({ urls: [server.url('/ok')] });
    abortWhen(deadline, () => sink.results.length === 2 && server.hitsOf('/hang') === 1);

    const response = await processSqsBatch(sqsEvent(cut, done), { engine: localEngine(), sink, signal: deadline.signal, logger });

    // Its finished URL already has a record: a redelivery would write that one twice.
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => [r.url, r.error?.code ?? 'OK']).sort()).toStrictEqual([
      [server.url('/hang'), ErrorCode.ABORTED], [server.url('/ok'), 'OK'], [server.url('/ok'), 'OK'],
    ]);
    expect(sink.results.find((r) => r.error)?.error?.message).toBe('cut off by the invocation deadline, with no continuation queue to carry it on');
  });

  test('each result is written as soon as it is final: a slow URL holds back no other record', async () => {
    let release: (() => void) | undefined;
    server.route('/late', (_req, res) => { release = () => res.end('late'); });
    const sink = new MemorySink();
    const batch = processSqsBatch(sqsEvent(sqsRecord({ urls: [server.url('/late'), server.url('/ok')] })), { engine: localEngine(), sink, logger });

    expect(await eventually(() => sink.results.length === 1 && release !== undefined)).toBe(true);
    expect(sink.results.map((r) => r.url)).toStrictEqual([server.url('/ok')]);
    release!();

    expect(await batch).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => r.url)).toStrictEqual([server.url('/ok'), server.url('/late')]);
  });

  test('results not yet durable are bounded: a stalled sink stops the fetching, and nothing is acknowledged early', async () => {
    const held: Array<() => void> = [];
    const sink = { write: () => new Promise<void>((resolve) => { held.push(resolve); }) };
    const urls = Array.from({ length: 200 }, (_, i) => server.url(`/ok?${i}`));
    let settled = false;
    const batch = processSqsBatch(sqsEvent(sqsRecord({ urls })), { engine: localEngine({ concurrency: 2 }), sink, logger })
      .finally(() => { settled = true; });

    // 2 permits x 4 writes ahead; then no URL starts, and the 2 in flight finish unwritten.
    expect(await eventually(() => held.length >= 2 * 4)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(held.length).toBe(2 * 4);
    expect(server.hitsOf('/ok')).toBeLessThanOrEqual(2 * 4 + 2);
    expect(settled).toBe(false);

    // Bounded: 200 URLs need about 200 rounds; a batch that never settles fails the test instead.
    for (let round = 0; round < 20_000 && (held.length > 0 || !settled); round++) {
      held.splice(0).forEach((resolve) => resolve());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(settled).toBe(true);
    expect(await batch).toStrictEqual({ batchItemFailures: [] });
    expect(server.hitsOf('/ok')).toBe(200);
  });

  test('with abortedIsFinal, cut-off URLs get ABORTED records and the record is acknowledged', async () => {
    const sink = new MemorySink();
    const deadline = new AbortController();
    abortWhen(deadline, () => server.hitsOf('/hang') === 1);

    const response = await processSqsBatch(sqsEvent(sqsRecord({ urls: [server.url('/hang')] })), {
      engine: localEngine(), sink, signal: deadline.signal, abortedIsFinal: true, logger,
    });

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results).toMatchObject([{ url: server.url('/hang'), error: { code: ErrorCode.ABORTED } }]);
  });

  test('a sink that cannot write fails the record instead of acknowledging unwritten results', async () => {
    const record = sqsRecord({ urls: [server.url('/ok')] });
    const sink = { write: async () => { throw new Error('disk full'); } };

    const response = await processSqsBatch(sqsEvent(record), { engine: localEngine(), sink, logger });

    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(warnings[0]).toMatchObject({ messageId: record.messageId, error: 'disk full' });
    expect(warnings[0]).toMatchObject({ reason: 'RESULTS_NOT_WRITTEN', error: expect.any(String) });
  });
});

describe('processSqsBatch across invocations', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/hang': routes.hang(), '/down': routes.failThenSucceed(100, 503) });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  const collector = (maxHops = 5) => {
    const sent: string[] = [];
    return { sent, continuation: { maxHops, send: async (body: string) => { sent.push(body); } } };
  };

  test('a deadline mid-record writes the finished URLs, hands the rest on with their attempts, and acknowledges', async () => {
    const sink = new MemorySink();
    const { sent, continuation } = collector();
    const deadline = new AbortController();
    // One 503 (an attempt), then a request the deadline cuts off (not an attempt).
    let calls = 0;
    server.route('/503-then-hang', (_req, res) => {
      calls += 1;
      if (calls === 1) res.writeHead(503).end();
    });
    const record = sqsRecord({ urls: [server.url('/ok'), server.url('/503-then-hang'), server.url('/ok?2')], options: { retries: 1 } });
    abortWhen(deadline, () => sink.results.length === 2 && calls === 2);

    const response = await processSqsBatch(sqsEvent(record), { engine: localEngine({ sleep: async () => {} }), sink, signal: deadline.signal, continuation });

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => r.url).sort()).toStrictEqual([server.url('/ok'), server.url('/ok?2')]);
    expect(sent.map((body) => JSON.parse(body))).toStrictEqual([
      { requests: [{ url: server.url('/503-then-hang'), attempts: 1 }], options: { retries: 1 }, hop: 1 },
    ]);
  });

  test('past maxHops the cut-off URLs end ABORTED, the others keep their records, and nothing is sent on', async () => {
    const sink = new MemorySink();
    const { sent, continuation } = collector(3);
    const deadline = new AbortController();
    const record = sqsRecord({ urls: [server.url('/ok'), server.url('/hang')], hop: 3 });
    abortWhen(deadline, () => sink.results.length === 1 && server.hitsOf('/hang') === 1);

    const response = await processSqsBatch(sqsEvent(record), { engine: localEngine(), sink, signal: deadline.signal, continuation });

    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(sink.results.map((r) => [r.url, r.error?.code ?? 'OK']).sort()).toStrictEqual([
      [server.url('/hang'), ErrorCode.ABORTED], [server.url('/ok'), 'OK'],
    ]);
    expect(sink.results.find((r) => r.error)?.error?.message).toBe('cut off by the invocation deadline after 3 continuations (the most allowed)');
    expect(sent).toStrictEqual([]);
  });

  test('a URL that used its attempts in earlier invocations ends as ATTEMPTS_EXHAUSTED without a request', async () => {
    const sink = new MemorySink();
    const record = sqsRecord({ requests: [{ url: server.url('/ok'), attempts: 3 }, { url: server.url('/ok?fresh'), attempts: 2 }] });

    await processSqsBatch(sqsEvent(record), { engine: localEngine({ retries: 2 }), sink });

    expect(sink.results.find((r) => r.url === server.url('/ok'))).toMatchObject({ attempts: 3, error: { code: ErrorCode.ATTEMPTS_EXHAUSTED } });
    expect(sink.results.find((r) => r.url === server.url('/ok?fresh'))).toMatchObject({ ok: true, attempts: 3 });
    expect(server.hitsOf('/ok')).toBe(1);
  });

  test('a redelivered message is fetched again with the attempts it carries, and reported as redelivered', async () => {
    const sink = new MemorySink();
    let report: { redeliveredUrls: number } | undefined;
    const record = sqsRecord({ urls: [server.url('/down')] }, { attributes: { ...sqsRecord({}).attributes, ApproximateReceiveCount: '3' } });

    await processSqsBatch(sqsEvent(record), { engine: localEngine({ retries: 3, sleep: async () => {} }), sink, onReport: (r) => { report = r; } });

    expect(sink.results).toMatchObject([{ status: 503, attempts: 4 }]);
    expect(server.hitsOf('/down')).toBe(4);
    expect(report).toMatchObject({ redeliveredUrls: 1, continuedUrls: 0, failedRecords: 0 });
  });

  test('message options tighten the engine limits for that message only', async () => {
    const sink = new MemorySink();
    const tight = sqsRecord({ urls: [server.url('/down')], options: { retries: 0 } });
    const loose = sqsRecord({ urls: [server.url('/down?b')] });

    await processSqsBatch(sqsEvent(tight, loose), { engine: localEngine({ retries: 2, sleep: async () => {} }), sink });

    expect(sink.results.find((r) => r.url === server.url('/down'))).toMatchObject({ attempts: 1 });
    expect(sink.results.find((r) => r.url === server.url('/down?b'))).toMatchObject({ attempts: 3 });
  });

  test('message options can never loosen the engine limits', async () => {
    const sink = new MemorySink();

    await processSqsBatch(sqsEvent(sqsRecord({ urls: [server.url('/down')], options: { retries: 10 } })), {
      engine: localEngine({ retries: 1, sleep: async () => {} }), sink,
    });

    expect(sink.results).toMatchObject([{ attempts: 2 }]);
  });
});
