import type { Writable } from 'node:stream';
import type { FetchResult } from '../engine/fetch-types.ts';
import type { JobRef } from '../jobs/job-ref.ts';
import type { ContinuedUrl } from '../jobs/job-store.ts';
import { resultToJson } from './result-json.ts';
import { ResultWriteError } from './result-write-error.ts';

/**
 * Where final result records go. Results arrive one URL at a time, as they become final.
 * `write` resolves only once they are durably handed over (to the OS for a stream, to the log)
 * or, for a sink that stores per message, taken into that message's object; `store` then
 * resolves once the message's object is stored. A message is acknowledged after both, never before.
 */
interface ResultSink {
  write(results: readonly FetchResult[], origin?: ResultOrigin): Promise<void>;
  /**
   * Every result of the delivery has been written: sinks that store per message store them now,
   * with the URLs the delivery handed on. A message of a job is stored once: the first delivery
   * to store it wins, and a later one is told what was stored (`taken`), which is what counts.
   */
  store?(origin: ResultOrigin, handedOn: readonly ContinuedUrl[]): Promise<StoreOutcome>;
  /** The delivery will not store: anything held for it is dropped. */
  discard?(origin: ResultOrigin): void;
  /** What a delivery of the message stored, or undefined when none did yet (sinks that store per message). */
  storedMessage?(origin: ResultOrigin): Promise<StoredMessage | undefined>;
}

/** A message's results as a delivery stored them: its record lines and the URLs it handed on. */
interface StoredMessage {
  readonly lines: readonly string[];
  readonly handedOn: readonly ContinuedUrl[];
}

/** `stored`: this delivery's records are the message's. `taken`: another delivery's are, and here they are. */
type StoreOutcome = { readonly kind: 'stored' } | { readonly kind: 'taken'; readonly message: StoredMessage };

/**
 * Where a group of results came from: one delivery of one message. Sinks that store per message
 * (S3) hold a delivery's records by this object, so pass the same one to every `write` and to
 * `store` of a delivery (two deliveries of one message may be in progress at once).
 */
interface ResultOrigin {
  readonly messageId: string;
  /** The job and message key, for messages of a job: results are grouped by job. */
  readonly job?: JobRef;
}

/** `inner` with another `write`, forwarding what a sink that stores per message does besides. */
function withWrite(inner: ResultSink, write: ResultSink['write']): ResultSink {
  return {
    write,
    ...(inner.store ? { store: (origin: ResultOrigin, handedOn: readonly ContinuedUrl[]) => inner.store!(origin, handedOn) } : {}),
    ...(inner.discard ? { discard: (origin: ResultOrigin) => inner.discard!(origin) } : {}),
    ...(inner.storedMessage ? { storedMessage: (origin: ResultOrigin) => inner.storedMessage!(origin) } : {}),
  };
}

/** Records are handed to the stream together, once this much text waits or after FLUSH_AFTER_MS. */
const FLUSH_BYTES = 64 * 1024;
/** Short next to a message's life, long enough that a busy run writes tens of KiB per write(2). */
const FLUSH_AFTER_MS = 5;

/**
 * One JSON object per line. Records written within a few ms go out in one stream write, and
 * `write` resolves when the stream has handed those bytes to the OS (the stream's write callback:
 * after write(2) for a file or a pipe), not when they are merely buffered, so a message is never
 * acknowledged before its results left the process; awaiting it is also the back-pressure (a slow
 * disk slows the run, never loses). The first stream error (ENOSPC, EPIPE, EIO) rejects that
 * write and every later one with a `ResultWriteError`.
 */
class JsonLinesSink implements ResultSink {
  readonly #stream: Writable;
  readonly #destination: string;
  #failure: ResultWriteError | undefined;
  /** Records not yet given to the stream, and the promise their writers share. */
  #text = '';
  #count = 0;
  #pending: PromiseWithResolvers<void> | undefined;
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
    for (const result of results) this.#text += `${resultToJson(result)}\n`;
    this.#count += results.length;
    if (this.#pending === undefined) {
      this.#pending = Promise.withResolvers<void>();
      setTimeout(() => this.#flush(), FLUSH_AFTER_MS);
    }
    const { promise } = this.#pending;
    if (this.#text.length >= FLUSH_BYTES) this.#flush();
    return promise;
  }

  #flush(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const text = this.#text;
    const count = this.#count;
    this.#text = '';
    this.#count = 0;
    this.#pending = undefined;
    if (this.#failure) {
      pending.reject(this.#failure);
      return;
    }
    this.#stream.write(text, (error) => {
      if (error) {
        pending.reject(this.#fail(error));
        return;
      }
      this.written += count;
      pending.resolve();
    });
  }

  #fail(error: unknown): ResultWriteError {
    this.#failure ??= error instanceof ResultWriteError ? error : new ResultWriteError(this.#destination, error);
    return this.#failure;
  }
}

export { JsonLinesSink, withWrite };
export type { ResultOrigin, ResultSink, StoredMessage, StoreOutcome };
