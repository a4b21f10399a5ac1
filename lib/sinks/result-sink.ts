import type { Writable } from 'node:stream';
import type { FetchResult } from '../engine/fetch-types.ts';
import { resultToJson } from './result-json.ts';
import { ResultWriteError } from './result-write-error.ts';

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

/**
 * One JSON object per line. `write` resolves when the stream has handed the bytes to the OS (the
 * stream's write callback: after write(2) for a file or a pipe), not when they are merely
 * buffered, so a message is never acknowledged before its results left the process; awaiting it
 * is also the back-pressure (a slow disk slows the run, never loses). The first stream error
 * (ENOSPC, EPIPE, EIO) rejects that write and every later one with a `ResultWriteError`.
 */
class JsonLinesSink implements ResultSink {
  readonly #stream: Writable;
  readonly #destination: string;
  #failure: ResultWriteError | undefined;
  written = 0;

  constructor(stream: Writable, destination = 'the output') {
    this.#stream = stream;
    this.#destination = destination;
    // Without a listener a stream error is an uncaught exception (the process prints a stack
    // trace and never writes its summary).
    stream.on('error', (error) => this.#fail(error));
  }

  /** The first write error, once there is one. */
  get failure(): ResultWriteError | undefined {
    return this.#failure;
  }

  write(results: readonly FetchResult[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (results.length === 0) return Promise.resolve();
    let text = '';
    for (const result of results) text += `${resultToJson(result)}\n`;
    return new Promise((resolve, reject) => {
      this.#stream.write(text, (error) => {
        if (error) {
          reject(this.#fail(error));
          return;
        }
        this.written += results.length;
        resolve();
      });
    });
  }

  #fail(error: unknown): ResultWriteError {
    this.#failure ??= error instanceof ResultWriteError ? error : new ResultWriteError(this.#destination, error);
    return this.#failure;
  }
}

export { JsonLinesSink };
export type { ResultOrigin, ResultSink };
