import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FetchResult } from '../engine/fetch-types.ts';
import type { ResultOrigin, ResultSink } from './result-sink.ts';

interface S3SinkOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** @default 'results/' */
  readonly prefix?: string;
  /** Store kept bodies as `<prefix>bodies/<sha256>` and replace `body` by `bodyKey`. @default false */
  readonly storeBodies?: boolean;
  readonly now?: () => Date;
}

/** Bodies already stored by this process: content addressing makes a second PUT pointless. */
const MAX_REMEMBERED_BODIES = 10_000;

/**
 * Writes each message's results as one JSON-lines object,
 * `<prefix><yyyy>/<mm>/<dd>/<messageId>.jsonl`, and optionally the bodies, content-addressed by
 * sha256. A redelivered message overwrites its own object, so a retry never duplicates records.
 */
class S3Sink implements ResultSink {
  readonly #options: Required<Omit<S3SinkOptions, 'now'>> & { now: () => Date };
  readonly #storedBodies = new Set<string>();

  constructor(options: S3SinkOptions) {
    this.#options = { prefix: 'results/', storeBodies: false, now: () => new Date(), ...options };
  }

  async write(results: readonly FetchResult[], origin?: ResultOrigin): Promise<void> {
    if (results.length === 0) return;
    const { client, bucket, prefix } = this.#options;
    const records = await Promise.all(results.map((result) => this.#withStoredBody(result)));
    const day = this.#options.now().toISOString().slice(0, 10).replaceAll('-', '/');
    const name = origin?.messageId ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    await client.send(new PutObjectCommand({
      Bucket: bucket,
      Key: `${prefix}${day}/${name}.jsonl`,
      Body: records.map((record) => JSON.stringify(record)).join('\n') + '\n',
      ContentType: 'application/x-ndjson',
    }));
  }

  async #withStoredBody(result: FetchResult): Promise<FetchResult & { bodyKey?: string }> {
    if (!this.#options.storeBodies || result.body === undefined || result.sha256 === undefined) return result;
    const { body, ...rest } = result;
    const key = `${this.#options.prefix}bodies/${result.sha256}`;
    if (!this.#storedBodies.has(result.sha256)) {
      await this.#options.client.send(new PutObjectCommand({ Bucket: this.#options.bucket, Key: key, Body: Buffer.from(body, 'base64') }));
      if (this.#storedBodies.size >= MAX_REMEMBERED_BODIES) this.#storedBodies.clear();
      this.#storedBodies.add(result.sha256);
    }
    return { ...rest, bodyKey: key };
  }
}

export { S3Sink };
export type { S3SinkOptions };
