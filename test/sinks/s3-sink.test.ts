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
    await sink.complete(delivery);

    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
    expect(await keysIn(bucket)).toHaveLength(61);
  });

  test('nothing of a message is stored before it is complete, and a discarded message never is', async () => {
    const bucket = `complete-${Date.now()}`;
    server.createBucket(bucket);
    const sink = new S3Sink({ client: s3, bucket, storeBodies: false });

    const kept1 = { messageId: 'kept' };
    const dropped = { messageId: 'dropped' };
    await sink.write([kept(1)], kept1);
    await sink.write([kept(2)], dropped);
    expect(await keysIn(bucket)).toStrictEqual([]);
    expect(await sink.stored(kept1)).toBe(false);
    sink.discard(dropped);
    await sink.complete(dropped);
    await sink.complete(kept1);

    expect(await keysIn(bucket)).toStrictEqual(['results/kept.jsonl']);
    expect(await sink.stored(kept1)).toBe(true);
  });

  test('two deliveries of one message in progress at once hold their records apart: the one completed stores only its own', async () => {
    const bucket = `deliveries-${Date.now()}`;
    server.createBucket(bucket);
    const sink = new S3Sink({ client: s3, bucket, storeBodies: false });
    const job = { id: 'j', key: '7' };
    const first = { messageId: 'm', job };
    const second = { messageId: 'm', job, redelivered: true };

    await sink.write([kept(1)], first);
    await sink.write([kept(1), kept(2)], second);
    await sink.complete(first);
    sink.discard(second);

    const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'results/job=j/7.jsonl' }))).Body!.transformToString();
    expect(text.trim().split('\n').map((line) => (JSON.parse(line) as { url: string }).url)).toStrictEqual([kept(1).url]);
  });
});
