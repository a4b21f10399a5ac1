import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { FetchResult } from '../engine/fetch-types.ts';
import { resultToJson } from './result-json.ts';

/**
 * Where final result records go. `write` resolves only once the records are durably handed over
 * (flushed to the stream, stored in S3, ...): a message is acknowledged after that, never before.
 */
interface ResultSink {
  write(results: readonly FetchResult[], origin?: ResultOrigin): Promise<void>;
}

/** Where a group of results came from: sinks that store per message (S3) key on it. */
interface ResultOrigin {
  readonly messageId: string;
}

/** One JSON object per line, written with backpressure (a slow disk slows the run, never loses). */
class JsonLinesSink implements ResultSink {
  readonly #stream: Writable;
  /** One shared wait for 'drain', however many records are being written concurrently. */
  #drained: Promise<unknown> | undefined;
  written = 0;

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  async write(results: readonly FetchResult[]): Promise<void> {
    if (results.length === 0) return;
    let text = '';
    for (const result of results) text += `${resultToJson(result)}\n`;
    this.written += results.length;
    if (!this.#stream.write(text)) {
      this.#drained ??= once(this.#stream, 'drain').finally(() => { this.#drained = undefined; });
    }
    if (this.#drained) await this.#drained;
  }
}

export { JsonLinesSink };
export type { ResultOrigin, ResultSink };
