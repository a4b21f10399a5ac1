import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { REPORTED_CHANGES } from '../engine/change.ts';
import { jobRecordLines, objectLines, objectsUnder, type JobResultsLocation } from './job-results.ts';

/**
 * A compared job's change report: the records whose change is one a report lists (read from the
 * job's stored records, never written twice), the enqueuer's `_changes/missing-<n>.jsonl` parts
 * for URLs the list no longer has, and, once the job ends, `_changes.jsonl`, all of them in one
 * object. Nothing is written per message for the report.
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

/**
 * A job's change report as it stands, line by line: the reported changes of its stored records
 * (object after object, in key order), then the URLs the enqueuer found missing. Derived from
 * the records, so it says exactly what they say: a message counted is a message stored, and its
 * changes are in the report by construction.
 */
async function* jobChangeLines(s3: S3Client, at: JobResultsLocation, listed?: readonly { readonly key: string }[]): AsyncGenerator<string> {
  for await (const line of jobRecordLines(s3, at, listed)) {
    // Most records of a compared job are `unchanged`: only a line naming a reported class is
    // parsed. The report leaves a kept body out (it says what changed; the results hold the content).
    if (!REPORTED_CHANGE_MARKERS.some((marker) => line.includes(marker))) continue;
    const { body: _body, ...record } = JSON.parse(line) as { body?: unknown; change?: string };
    if (record.change !== undefined && REPORTED_CHANGES.has(record.change)) yield JSON.stringify(record);
  }
  for await (const object of objectsUnder(s3, at.bucket, `${at.jobPrefix}${CHANGES_PARTS}`)) {
    yield* await objectLines(s3, at.bucket, object.key);
  }
}

/** How a record's line names a reported change class (resultToJson writes `"change":"<class>"`). */
const REPORTED_CHANGE_MARKERS = [...REPORTED_CHANGES].map((change) => `"change":${JSON.stringify(change)}`);

/**
 * Writes `_changes.jsonl`: the report streamed through `@aws-sdk/lib-storage`'s `Upload` (a
 * multipart upload of a few MiB parts once it outgrows one, one PUT below that), so that a report
 * of millions of lines never sits in memory. Written again whole if the job's end is handled again.
 */
async function writeChangesObject(s3: S3Client, at: JobResultsLocation, listed?: readonly { readonly key: string }[]): Promise<void> {
  const lines = Readable.from((async function* text() {
    for await (const line of jobChangeLines(s3, at, listed)) yield `${line}\n`;
  })());
  await new Upload({
    client: s3,
    params: { Bucket: at.bucket, Key: `${at.jobPrefix}${CHANGES_OBJECT}`, Body: lines, ContentType: 'application/x-ndjson' },
  }).done();
}

export { CHANGES_OBJECT, changesPartKey, jobChangeLines, MissingPartsWriter, writeChangesObject };
