import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { FetchResult } from '../../lib/index.ts';
import { S3Sink } from '../../lib/sinks/s3-sink.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';

/** A kept-body record as the engine builds it. */
function kept(i: number): FetchResult {
  const body = Buffer.from(`body ${i}`);
  return {
    url: `https://e.example/${i}`, ok: true, status: 200, attempts: 1, redirects: 0, latencyMs: 1, bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'), body: body.toString('base64'), error: null,
  };
}

describe('S3 sink (against a real S3-protocol server)', () => {
  let server: EmbeddedSqs;
  let s3: S3Client;
  let inFlight = 0;
  let peak = 0;

  beforeAll(async () => {
    server = await startEmbeddedSqs();
    s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    // Counts PUTs on the wire, as they leave the real client.
    s3.middlewareStack.add((next) => async (args) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        return await next(args);
      } finally {
        inFlight -= 1;
      }
    }, { step: 'finalizeRequest' });
  });

  afterAll(async () => {
    s3.destroy();
    await server.stop();
  });

  const keysIn = async (bucket: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((object) => object.Key!).sort();

  test('PUTs are bounded however many results arrive at once', async () => {
    const bucket = `bounded-${Date.now()}`;
    server.createBucket(bucket);
    const sink = new S3Sink({ client: s3, bucket, maxPuts: 4 });
    peak = 0;

    const delivery = { messageId: 'm-1' };
    await Promise.all(Array.from({ length: 60 }, (_, i) => sink.write([kept(i)], delivery)));
    await sink.store(delivery, []);

    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
    expect(await keysIn(bucket)).toHaveLength(61);
  });

  test('nothing of a message is stored before it is stored, and a discarded delivery never is', async () => {
    const bucket = `complete-${Date.now()}`;
    server.createBucket(bucket);
    const sink = new S3Sink({ client: s3, bucket, storeBodies: false });

    const kept1 = { messageId: 'kept' };
    const dropped = { messageId: 'dropped' };
    await sink.write([kept(1)], kept1);
    await sink.write([kept(2)], dropped);
    expect(await keysIn(bucket)).toStrictEqual([]);
    expect(await sink.storedMessage(kept1)).toBeUndefined();
    sink.discard(dropped);
    expect(await sink.store(kept1, [])).toStrictEqual({ kind: 'stored' });

    expect(await keysIn(bucket)).toStrictEqual(['results/kept.jsonl']);
    expect((await sink.storedMessage(kept1))?.lines.map((line) => (JSON.parse(line) as { url: string }).url)).toStrictEqual([kept(1).url]);
  });

  test('two deliveries of a job\'s message hold their records apart: the first to store stands, the second is handed it with what it handed on', async () => {
    const bucket = `deliveries-${Date.now()}`;
    server.createBucket(bucket);
    const sink = new S3Sink({ client: s3, bucket, storeBodies: false });
    const job = { id: 'j', key: '7' };
    const first = { messageId: 'm', job };
    const second = { messageId: 'm', job };

    await sink.write([kept(1)], first);
    await sink.write([kept(1), kept(2)], second);
    const stored = await sink.store(first, [[1, 2], [2, 1]]);
    const taken = await sink.store(second, []);

    expect(stored).toStrictEqual({ kind: 'stored' });
    expect(taken).toStrictEqual({ kind: 'taken', message: { lines: [expect.stringContaining(kept(1).url)], handedOn: [[1, 2], [2, 1]] } });
    const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'results/job=j/7.jsonl' }))).Body!.transformToString();
    expect(text.trim().split('\n').map((line) => (JSON.parse(line) as { url: string }).url)).toStrictEqual([kept(1).url]);
  });

  test('a job\'s message whose URLs were all handed on stores an empty object: the mark that it was stored', async () => {
    const bucket = `empty-${Date.now()}`;
    server.createBucket(bucket);
    const sink = new S3Sink({ client: s3, bucket });
    const origin = { messageId: 'm', job: { id: 'j', key: '3' } };

    expect(await sink.store(origin, [[0, 1], [1, 1]])).toStrictEqual({ kind: 'stored' });

    expect(await keysIn(bucket)).toStrictEqual(['results/job=j/3.jsonl']);
    expect(await sink.storedMessage(origin)).toStrictEqual({ lines: [], handedOn: [[0, 1], [1, 1]] });
  });
});
