import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FetchResult } from '../engine/fetch-types.ts';
import { Semaphore } from '../core/semaphore.ts';
import { DEFAULT_RESULTS_PREFIX, jobResultsPrefix } from '../jobs/job-ref.ts';
import { changesPartKey } from '../jobs/job-changes.ts';
import { changeLineOf } from './change-report.ts';
import { resultToJson, type StoredRecord } from './result-json.ts';
import type { ResultOrigin, ResultSink } from './result-sink.ts';

interface S3SinkOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** @default DEFAULT_RESULTS_PREFIX (`results/`) */
  readonly prefix?: string;
  /** Store kept bodies as `<prefix>bodies/<sha256>` and replace `body` by `bodyKey`. @default true */
  readonly storeBodies?: boolean;
  /** PUTs in flight at most (bodies and result objects together). @default 16 */
  readonly maxPuts?: number;
}

/** Bodies already stored by this process: content addressing makes a second PUT pointless. */
const MAX_REMEMBERED_BODIES = 10_000;

/**
 * Writes each message's results as one JSON-lines object, `<prefix><messageId>.jsonl`, once all
 * of them are final (`complete`), and the kept bodies as they arrive, content-addressed by sha256.
 * The key depends on the message only: a redelivery (same MessageId) replaces the object, never
 * adds a second one, whatever the day. Until `complete` only the records (without bodies) are
 * held; PUTs are bounded, so a batch of 10,000 URLs does not start 10,000 requests at once.
 */
class S3Sink implements ResultSink {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #storeBodies: boolean;
  readonly #puts: Semaphore;
  readonly #storedBodies = new Set<string>();
  /**
   * Record lines per delivery of a message, not yet stored. By delivery, not by object key: two
   * deliveries of one message (a duplicate, a redelivery after a visibility timeout) may be in
   * progress in one process, and only the one the job counts may store its object.
   */
  readonly #messages = new Map<ResultOrigin, string[]>();
  /** Change-report lines per delivery of a message of a compared job, not yet stored. */
  readonly #changes = new Map<ResultOrigin, string[]>();

  constructor(options: S3SinkOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ?? DEFAULT_RESULTS_PREFIX;
    this.#storeBodies = options.storeBodies ?? true;
    this.#puts = new Semaphore(options.maxPuts ?? 16);
  }

  /**
   * The key of a message's results object: by job and message key for a job's messages (a
   * duplicate send of the same message replaces it too), else by SQS message id.
   */
  keyOf(origin: ResultOrigin): string {
    return origin.job ? `${this.jobPrefix(origin.job.id)}${origin.job.key}.jsonl` : `${this.#prefix}${origin.messageId}.jsonl`;
  }

  /** Where a job's result objects are (`results/job=<id>/`), for Athena partitions and `job results`. */
  jobPrefix(jobId: string): string {
    return jobResultsPrefix(this.#prefix, jobId);
  }

  async write(results: readonly FetchResult[], origin?: ResultOrigin): Promise<void> {
    if (origin === undefined) throw new Error('the S3 sink stores results per message and needs the message they came from');
    const stored = await Promise.all(results.map((result) => this.#withStoredBody(result)));
    let held = this.#messages.get(origin);
    if (held === undefined) this.#messages.set(origin, held = []);
    for (const record of stored) held.push(resultToJson(record));
    if (origin.job === undefined) return;
    for (const record of stored) {
      const line = changeLineOf(record);
      if (line === undefined) continue;
      let changes = this.#changes.get(origin);
      if (changes === undefined) this.#changes.set(origin, changes = []);
      changes.push(line);
    }
  }

  /** Whether the message's records object exists (a HEAD; 404 is no). */
  async stored(origin: ResultOrigin): Promise<boolean> {
    try {
      await this.#bounded(() => this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.keyOf(origin) })));
      return true;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  }

  /**
   * Stores the message's records and, for a message of a job with reported changes, its part of
   * the job's change report (`_changes/<key>.jsonl`). A message with none writes no part; if it
   * is a redelivery, a part an earlier, uncounted delivery may have left is deleted (DELETE is
   * free: https://aws.amazon.com/s3/pricing/), so the report matches the records that count.
   */
  async complete(origin: ResultOrigin): Promise<void> {
    const key = this.keyOf(origin);
    const lines = this.#messages.get(origin);
    const changes = this.#changes.get(origin);
    this.#messages.delete(origin);
    this.#changes.delete(origin);
    const stored: Promise<void>[] = [];
    if (lines !== undefined && lines.length > 0) stored.push(this.#put(key, `${lines.join('\n')}\n`, 'application/x-ndjson'));
    if (origin.job) {
      const part = changesPartKey(this.jobPrefix(origin.job.id), origin.job.key);
      if (changes !== undefined) stored.push(this.#put(part, `${changes.join('\n')}\n`, 'application/x-ndjson'));
      else if (origin.redelivered) stored.push(this.#delete(part));
    }
    await Promise.all(stored);
  }

  discard(origin: ResultOrigin): void {
    this.#messages.delete(origin);
    this.#changes.delete(origin);
  }

  #delete(key: string): Promise<void> {
    return this.#bounded(() => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })));
  }

  #put(key: string, body: string | Buffer, contentType?: string): Promise<void> {
    return this.#bounded(() => this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: contentType })));
  }

  /** One S3 call within the `maxPuts` bound. */
  async #bounded(call: () => Promise<unknown>): Promise<void> {
    const wait = this.#puts.acquire();
    if (wait) await wait;
    try {
      await call();
    } finally {
      this.#puts.release();
    }
  }

  async #withStoredBody(result: FetchResult): Promise<StoredRecord> {
    if (!this.#storeBodies || result.body === undefined || result.sha256 === undefined) return result;
    const { body, ...rest } = result;
    const key = `${this.#prefix}bodies/${result.sha256}`;
    if (!this.#storedBodies.has(result.sha256)) {
      await this.#put(key, Buffer.from(body, 'base64'));
      if (this.#storedBodies.size >= MAX_REMEMBERED_BODIES) this.#storedBodies.clear();
      this.#storedBodies.add(result.sha256);
    }
    return { ...rest, bodyKey: key };
  }
}

export { S3Sink };
export type { S3SinkOptions };
