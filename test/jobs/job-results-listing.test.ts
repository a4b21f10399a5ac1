import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { isRecordsObject, objectsUnder } from '../../lib/jobs/job-results.ts';

/*
 * A job of more than a thousand messages has more objects than one ListObjectsV2 page: its
 * records (`0.jsonl` …), its change-report parts (`_changes/…`) and its own files. Reading an
 * earlier job (`--since-job`, `job results`) must see every record object on local-sqs's S3 as on
 * S3, which orders keys by their UTF-8 bytes (ListObjectsV2: "returned in UTF-8 binary order").
 */
describe("a job's objects listed page by page on local-sqs's S3", () => {
  let sqs: EmbeddedSqs;
  let s3: S3Client;

  beforeAll(async () => {
    sqs = await startEmbeddedSqs();
    sqs.createBucket('listing-results');
    s3 = new S3Client({ endpoint: sqs.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  });

  afterAll(async () => {
    s3.destroy();
    await sqs.stop();
  });

  test('every record object is listed once, past the first page, with the parts and the job\'s files beside them', async () => {
    const prefix = 'results/job=big/';
    const keys: string[] = [];
    for (let i = 0; i < 1_100; i++) keys.push(`${prefix}${i}.jsonl`, `${prefix}_changes/${i}.jsonl`);
    keys.push(`${prefix}17~0.jsonl`, `${prefix}_changes.jsonl`, `${prefix}_summary.json`, `${prefix}_manifest.json`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: 'listing-results', Key, Body: 'x' }))));
    }

    const listed: string[] = [];
    for await (const object of objectsUnder(s3, 'listing-results', prefix)) listed.push(object.key);

    expect(listed).toHaveLength(keys.length);
    expect(new Set(listed).size).toBe(keys.length);
    expect(listed.filter((key) => isRecordsObject(prefix, key))).toHaveLength(1_101);
    // UTF-8 binary order, as S3 lists: digits before '_'.
    expect(listed).toStrictEqual([...listed].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});
