import { ErrorCode } from '../../lib/index.ts';
import { processSqsBatch } from '../../lib/handler/process-sqs-batch.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
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
    expect(warnings).toStrictEqual([{ message: 'message not processed; it will be delivered again', messageId: bad.messageId, reason: 'message body is not valid JSON' }]);
  });

  test('a record cut off by the deadline fails as a whole and writes nothing (it is delivered again)', async () => {
    const sink = new MemorySink();
    const deadline = new AbortController();
    const cut = sqsRecord({ urls: [server.url('/ok'), server.url('/hang')] });
    const done = sqsRecord({ urls: [server.url('/ok')] });
    setTimeout(() => deadline.abort(), 200);

    const response = await processSqsBatch(sqsEvent(cut, done), { engine: localEngine(), sink, signal: deadline.signal, logger });

    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: cut.messageId }] });
    expect(sink.results.map((r) => r.url)).toStrictEqual([server.url('/ok')]);
  });

  test('with abortedIsFinal, cut-off URLs get ABORTED records and the record is acknowledged', async () => {
    const sink = new MemorySink();
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 200);

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
  });
});
