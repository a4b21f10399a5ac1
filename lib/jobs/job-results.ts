import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { jobResultsPrefix } from './job-ref.ts';

/** A job's place in its results bucket: the bucket and the job's own prefix (`results/job=<id>/`). */
interface JobResultsLocation {
  readonly bucket: string;
  readonly jobPrefix: string;
}

/**
 * Where a job's objects are, from the `s3://bucket/<prefix>job=<id>/` location recorded on it;
 * undefined when it has none (its records went to logs or files).
 */
function jobResultsAt(job: { readonly jobId: string; readonly results?: string }): JobResultsLocation | undefined {
  const location = /^s3:\/\/([^/]+)\/(.*)$/.exec(job.results ?? '');
  if (!location || !location[2]!.endsWith(jobResultsPrefix('', job.jobId))) return undefined;
  return { bucket: location[1]!, jobPrefix: location[2]! };
}

/**
 * Whether an object under a job's prefix holds result records: `<key>.jsonl` objects, one per
 * message; names starting with `_` are the job's own (`_summary.json`, `_changes.jsonl`, `_changes/`).
 */
function isRecordsObject(jobPrefix: string, key: string): boolean {
  return key.endsWith('.jsonl') && !key.slice(jobPrefix.length).startsWith('_');
}

/** Every object under a prefix, in key order, a page (up to 1,000) per ListObjectsV2 call. */
async function* objectsUnder(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<{ readonly key: string; readonly size: number }> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, size: object.Size ?? 0 };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The lines of one object (an object holds one message's records: a few MB at most). */
async function objectLines(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  return text.split('\n').filter((line) => line !== '');
}

/** A job's records, line by line, object after object: one LIST per 1,000 objects and one GET per object. */
async function* jobRecordLines(s3: S3Client, at: JobResultsLocation): AsyncGenerator<string> {
  for await (const object of objectsUnder(s3, at.bucket, at.jobPrefix)) {
    if (isRecordsObject(at.jobPrefix, object.key)) yield* await objectLines(s3, at.bucket, object.key);
  }
}

export { isRecordsObject, jobRecordLines, jobResultsAt, objectLines, objectsUnder };
export type { JobResultsLocation };
