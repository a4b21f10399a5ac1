import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';

/*
 * A job's message stores its records with `If-None-Match: *`: the first delivery to store them
 * is the one whose records stand. local-sqs's S3 must refuse a second write as S3 does
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html); fauxqs 2.4.1
 * ignored the header until infra/patch-dependencies.ts.
 */
describe("conditional writes on local-sqs's S3", () => {
  let sqs: EmbeddedSqs;
  let s3: S3Client;
  const Bucket = 'conditional-results';
  const statusOf = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const bodyOf = async (Key: string) => (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();

  beforeAll(async () => {
    sqs = await startEmbeddedSqs();
    sqs.createBucket(Bucket);
    s3 = new S3Client({ endpoint: sqs.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  });

  afterAll(async () => {
    s3.destroy();
    await sqs.stop();
  });

  test('If-None-Match: * writes a new key once; a second write is refused with 412 and the first body stands', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    const second = await s3.send(new PutObjectCommand({ Bucket, Key: 'once', Body: 'second', IfNoneMatch: '*' })).catch((error: unknown) => error);

    expect(statusOf(second)).toBe(412);
    expect(await bodyOf('once')).toBe('first');
  });

  test('of many concurrent conditional writes of one key exactly one succeeds', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) =>
      s3.send(new PutObjectCommand({ Bucket, Key: 'raced', Body: `writer ${i}`, IfNoneMatch: '*' }))));

    const won = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => statusOf(outcome.reason))).toStrictEqual(Array(7).fill(412));
    expect(await bodyOf('raced')).toBe(`writer ${won[0]}`);
  });

  test('If-Match writes over the named version only', async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket, Key: 'swap', Body: 'v1' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'swap', Body: 'v2', IfMatch: ETag }));
    const stale = await s3.send(new PutObjectCommand({ Bucket, Key: 'swap', Body: 'v3', IfMatch: ETag })).catch((error: unknown) => error);
    const absent = await s3.send(new PutObjectCommand({ Bucket, Key: 'nothing-here', Body: 'x', IfMatch: ETag })).catch((error: unknown) => error);

    expect(statusOf(stale)).toBe(412);
    expect(statusOf(absent)).toBe(404);
    expect(await bodyOf('swap')).toBe('v2');
  });
});
