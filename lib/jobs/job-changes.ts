import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { objectLines, objectsUnder, type JobResultsLocation } from './job-results.ts';

/**
 * A compared job's change report in its results prefix: the parts as they are written —
 * `_changes/<message key>.jsonl` by the consumer of each message that has a reported change,
 * `_changes/missing-<n>.jsonl` by the enqueuer — and, once the job ends, `_changes.jsonl`, all of
 * them in one object. A message whose URLs are all unchanged writes nothing (no write per
 * unchanged URL, nor per unchanged message).
 */
const CHANGES_OBJECT = '_changes.jsonl';
const CHANGES_PARTS = '_changes/';

function changesPartKey(jobPrefix: string, name: string): string {
  return `${jobPrefix}${CHANGES_PARTS}${name}.jsonl`;
}

/** Lines per missing-URL part: ~1–3 MB, a PUT per 10,000 missing URLs. */
const MISSING_LINES_PER_PART = 10_000;

/**
 * The enqueuer's `missing` lines, stored as numbered parts. The enqueuer meets them in the same
 * order every time it enqueues the same lists, so an enqueuer run again (a retried schedule
 * firing) writes the same parts under the same keys: nothing is reported twice.
 */
class MissingPartsWriter {
  readonly #s3: S3Client;
  readonly #at: JobResultsLocation;
  #lines: string[] = [];
  #parts = 0;
  count = 0;

  constructor(s3: S3Client, at: JobResultsLocation) {
    this.#s3 = s3;
    this.#at = at;
  }

  async add(line: string): Promise<void> {
    this.#lines.push(line);
    this.count += 1;
    if (this.#lines.length >= MISSING_LINES_PER_PART) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#lines.length === 0) return;
    const body = `${this.#lines.join('\n')}\n`;
    this.#lines = [];
    const key = changesPartKey(this.#at.jobPrefix, `missing-${String(this.#parts).padStart(6, '0')}`);
    this.#parts += 1;
    await this.#s3.send(new PutObjectCommand({ Bucket: this.#at.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }));
  }
}

/** A job's change report as it stands, line by line: every part, in key order. */
async function* jobChangeLines(s3: S3Client, at: JobResultsLocation): AsyncGenerator<string> {
  for await (const object of objectsUnder(s3, at.bucket, `${at.jobPrefix}${CHANGES_PARTS}`)) {
    yield* await objectLines(s3, at.bucket, object.key);
  }
}

/** S3's smallest part but the last (5 MiB), and what we buffer before sending one. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Writes `_changes.jsonl`: the parts one after another, through a multipart upload so that a
 * report of millions of lines never sits in memory (8 MiB at a time); a report under 8 MiB is
 * one PUT. Written again whole if the job's completion is handled again.
 */
async function writeChangesObject(s3: S3Client, at: JobResultsLocation): Promise<void> {
  const key = `${at.jobPrefix}${CHANGES_OBJECT}`;
  let buffered: string[] = [];
  let bufferedBytes = 0;
  let uploadId: string | undefined;
  const parts: { ETag: string | undefined; PartNumber: number }[] = [];
  const sendPart = async () => {
    uploadId ??= (await s3.send(new CreateMultipartUploadCommand({ Bucket: at.bucket, Key: key, ContentType: 'application/x-ndjson' }))).UploadId;
    const PartNumber = parts.length + 1;
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: at.bucket, Key: key, UploadId: uploadId, PartNumber, Body: buffered.join('') }));
    parts.push({ ETag, PartNumber });
    buffered = [];
    bufferedBytes = 0;
  };
  try {
    for await (const line of jobChangeLines(s3, at)) {
      buffered.push(`${line}\n`);
      bufferedBytes += Buffer.byteLength(line) + 1;
      if (bufferedBytes >= PART_BYTES) await sendPart();
    }
    if (uploadId === undefined) {
      await s3.send(new PutObjectCommand({ Bucket: at.bucket, Key: key, Body: buffered.join(''), ContentType: 'application/x-ndjson' }));
      return;
    }
    if (bufferedBytes > 0) await sendPart();
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: at.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    if (uploadId !== undefined) await s3.send(new AbortMultipartUploadCommand({ Bucket: at.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}

export { CHANGES_OBJECT, changesPartKey, jobChangeLines, MissingPartsWriter, writeChangesObject };
