import { setTimeout } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FetchResult } from '../engine/fetch-types.ts';
import { Semaphore } from '../core/semaphore.ts';
import { decodeHandedOn, encodeHandedOn } from '../jobs/handed-on.ts';
import { DEFAULT_RESULTS_PREFIX, jobResultsPrefix } from '../jobs/job-ref.ts';
import type { ContinuedUrl } from '../jobs/job-store.ts';
import { statusOf } from '../jobs/job-results.ts';
import { resultToJson, type StoredRecord } from './result-json.ts';
import type { ResultOrigin, ResultSink, StoredMessage, StoreOutcome } from './result-sink.ts';

interface S3SinkOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** @default DEFAULT_RESULTS_PREFIX (`results/`) */
  readonly prefix?: string;
  /** Store kept bodies as `<prefix>bodies/<sha256>` and replace `body` by `bodyKey`. @default true */
  readonly storeBodies?: boolean;
  /** S3 calls in flight at most (bodies, result objects and reads together). @default 16 */
  readonly maxPuts?: number;
}

/** Bodies already stored by this process: content addressing makes a second PUT pointless. */
const MAX_REMEMBERED_BODIES = 10_000;

/** Tries of a conditional PUT that S3 answered 409 (a concurrent conditional write of the key in progress). */
const CONFLICT_TRIES = 3;
/** The first wait after a 409, ms; doubled-ish each try. */
const CONFLICT_BACKOFF_MS = 100;
/** The object metadata naming the URLs a stored message handed on (lib/jobs/handed-on.ts). */
const HANDED_ON_METADATA = 'handed-on';

/**
 * Writes each message's results as one JSON-lines object once they are all final (`store`),
 * and the kept bodies as they arrive, content-addressed by sha256. A job's message is stored at
 * `<prefix>job=<id>/<key>.jsonl` with `If-None-Match: *` (S3 conditional writes,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html): the first
 * delivery to store a message is the one whose records stand, for ever, and a later delivery is
 * handed those (`taken`) to count. A message with no records (every URL handed on) stores an
 * empty object: its mark of being stored. Other messages go to `<prefix><messageId>.jsonl`,
 * replaced by a redelivery. Until `store` only the records (without bodies) are held; S3 calls
 * are bounded, so a batch of 10,000 URLs does not start 10,000 requests at once.
 */
class S3Sink implements ResultSink {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #storeBodies: boolean;
  readonly #calls: Semaphore;
  readonly #storedBodies = new Set<string>();
  /**
   * Record lines per delivery of a message, not yet stored. By delivery, not by object key: two
   * deliveries of one message (a duplicate, a redelivery after a visibility timeout) may be in
   * progress in one process, and only one of them stores its records.
   */
  readonly #messages = new Map<ResultOrigin, string[]>();

  constructor(options: S3SinkOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ?? DEFAULT_RESULTS_PREFIX;
    this.#storeBodies = options.storeBodies ?? true;
    this.#calls = new Semaphore(options.maxPuts ?? 16);
  }

  /**
   * The key of a message's results object: by job and message key for a job's messages (a
   * duplicate send of the same message finds it too), else by SQS message id.
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
  }

  /** What a delivery stored for the message (a GET), or undefined when no delivery did yet (404). */
  async storedMessage(origin: ResultOrigin): Promise<StoredMessage | undefined> {
    try {
      const object = await this.#bounded(() => this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.keyOf(origin) })));
      const text = await object.Body!.transformToString();
      return { lines: text.split('\n').filter((line) => line !== ''), handedOn: decodeHandedOn(object.Metadata?.[HANDED_ON_METADATA]) };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Stores the delivery's records and the URLs it handed on. For a job's message the write is
   * conditional: when another delivery stored the message first (412), its records are read and
   * returned instead, and this delivery's are dropped.
   */
  async store(origin: ResultOrigin, handedOn: readonly ContinuedUrl[]): Promise<StoreOutcome> {
    const lines = this.#messages.get(origin) ?? [];
    this.#messages.delete(origin);
    const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    const encoded = encodeHandedOn(handedOn);
    const put = () => this.#bounded(() => this.#client.send(new PutObjectCommand({
      Bucket: this.#bucket, Key: this.keyOf(origin), Body: body, ContentType: 'application/x-ndjson',
      ...(encoded === '' ? {} : { Metadata: { [HANDED_ON_METADATA]: encoded } }),
      ...(origin.job ? { IfNoneMatch: '*' } : {}),
    })));
    for (let tries = 1; ; tries++) {
      try {
        await put();
        return { kind: 'stored' };
      } catch (error) {
        const status = statusOf(error);
        if (status === 409 && tries < CONFLICT_TRIES) {
          // The other write is in flight: wait for it to land (jittered), then ask again.
          await setTimeout(CONFLICT_BACKOFF_MS * tries * (0.5 + Math.random()));
          continue;
        }
        if (status !== 412 && status !== 409) throw error;
      }
      const message = await this.storedMessage(origin);
      if (message === undefined) throw new Error(`S3 refused to store ${this.keyOf(origin)} as already there, then found nothing there`);
      return { kind: 'taken', message };
    }
  }

  discard(origin: ResultOrigin): void {
    this.#messages.delete(origin);
  }

  async #put(key: string, body: Buffer): Promise<void> {
    await this.#bounded(() => this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body })));
  }

  /** One S3 call within the `maxPuts` bound. */
  async #bounded<T>(call: () => Promise<T>): Promise<T> {
    const wait = this.#calls.acquire();
    if (wait) await wait;
    try {
      return await call();
    } finally {
      this.#calls.release();
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
