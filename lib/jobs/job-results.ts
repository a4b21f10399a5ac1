import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { mapInOrder } from '../core/map-in-order.ts';
import { jobResultsPrefix } from './job-ref.ts';

/** A job's place in its results bucket: the bucket and the job's own prefix (`results/job=<id>/`). */
interface JobResultsLocation {
  readonly bucket: string;
  readonly jobPrefix: string;
}

/** Objects read at once when a job's objects are read one after another (completion, an enqueue that compares). */
const PARALLEL_READS = 32;

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

/** The HTTP status of a failed S3 call (404, 409, 412 …), or undefined when it had no answer. */
function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Every object under a prefix, in key order, a page (up to 1,000) per ListObjectsV2 call. */
async function* objectsUnder(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<{ readonly key: string; readonly size: number }> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, size: object.Size ?? 0 };
  }
}

/** The lines of one object (an object holds one message's records: a few MB at most). */
async function objectLines(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  return text.split('\n').filter((line) => line !== '');
}

/** The record objects of a job, in key order. */
async function* recordObjects(s3: S3Client, at: JobResultsLocation): AsyncGenerator<{ readonly key: string; readonly size: number }> {
  for await (const object of objectsUnder(s3, at.bucket, at.jobPrefix)) if (isRecordsObject(at.jobPrefix, object.key)) yield object;
}

/**
 * A job's records, line by line, object after object in key order: one LIST per 1,000 objects
 * and one GET per object, `PARALLEL_READS` GETs at a time.
 */
async function* jobRecordLines(s3: S3Client, at: JobResultsLocation, listed?: readonly { readonly key: string }[]): AsyncGenerator<string> {
  // `listed`: the record objects when the caller listed them already (the job's end lists them for its manifest).
  for await (const lines of mapInOrder(listed ?? recordObjects(s3, at), PARALLEL_READS, (object) => objectLines(s3, at.bucket, object.key))) yield* lines;
}

export { isRecordsObject, jobRecordLines, jobResultsAt, objectLines, objectsUnder, recordObjects, statusOf };
export type { JobResultsLocation };
