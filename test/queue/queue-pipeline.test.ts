import { processSqsBatch } from '../../lib/handler/process-sqs-batch.ts';
import { parseRequestLine, type ParsedLine } from '../../lib/input/parse-request-line.ts';
import { runQueuePipeline } from '../../lib/queue/queue-pipeline.ts';
import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { MemorySink } from '../support/memory-sink.ts';
import { QUEUE_KINDS, type QueueKind } from '../support/queues.ts';
import { routes, TestServer } from '../support/test-server.ts';

/** Parsed lines in chunks of three, as the CLI reads them chunk by chunk. */
async function* linesOf(texts: string[]): AsyncGenerator<ParsedLine[]> {
  const parsed = texts.map((text, i) => parseRequestLine({ number: i + 1, text, truncated: false }));
  for (let i = 0; i < parsed.length; i += 3) yield parsed.slice(i, i + 3);
}

describe.each(QUEUE_KINDS)('queue pipeline on %s', (_, kind: QueueKind) => {
  let server: TestServer;

  beforeAll(() => kind.start());
  afterAll(() => kind.stop());

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok') });
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  test('every input URL ends with exactly one record, with messages kept within the window', async () => {
    const queue = await kind.create();
    const engine = localEngine({ concurrency: 16 });
    const sink = new MemorySink();
    const lines = [
      ...Array.from({ length: 1500 }, (_, i) => server.url(`/ok?i=${i}`)),
      'not a url', '', '# skipped', '{"url": 5}',
    ];
    let maxOutstanding = 0;

    const progress = await runQueuePipeline({
      ...queue,
      lines: linesOf(lines),
      handler: (event) => processSqsBatch(event, { engine, sink }),
      sink,
      split: { maxUrls: 25 },
      maxUnacknowledged: 8,
      onProgress: (p) => { maxOutstanding = Math.max(maxOutstanding, p.messagesSent - p.messagesAcknowledged); },
    });

    const urls = sink.results.map((r) => r.url);
    expect(urls).toHaveLength(1502);
    expect(new Set(urls).size).toBe(1502);
    expect(sink.results.filter((r) => r.ok)).toHaveLength(1500);
    expect(sink.results.filter((r) => r.error?.code === ErrorCode.INVALID_URL)).toHaveLength(2);
    expect(progress).toMatchObject({ enqueuedUrls: 1500, directRecords: 2, messagesSent: 60, messagesAcknowledged: 60, inputDone: true });
    expect(maxOutstanding).toBeLessThanOrEqual(8 + 10);
  });

  test('a failed message is delivered again and then succeeds', async () => {
    const queue = await kind.create();
    const engine = localEngine();
    const sink = new MemorySink();
    let calls = 0;

    await runQueuePipeline({
      ...queue,
      lines: linesOf([server.url('/ok')]),
      handler: async (event) => {
        calls += 1;
        if (calls === 1) return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
        return processSqsBatch(event, { engine, sink });
      },
      sink,
    });

    expect(calls).toBe(2);
    expect(sink.results).toHaveLength(1);
  });

  test('a message that keeps failing stops the run with an error instead of looping', async () => {
    const queue = await kind.create();
    const sink = new MemorySink();

    const run = runQueuePipeline({
      ...queue,
      lines: linesOf([server.url('/ok')]),
      handler: async (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }),
      sink,
      maxReceives: 3,
    });

    await expect(run).rejects.toThrow(/failed 3 times/);
  });
});
