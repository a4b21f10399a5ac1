import { createHash, type Hash } from 'node:crypto';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { FetchError, ErrorCode } from '../core/errors.ts';
import { BodyMode } from './options.ts';

function tooLarge(maxBytes: number): FetchError {
  return new FetchError(ErrorCode.BODY_TOO_LARGE, `response body exceeds ${maxBytes} bytes`);
}

function createDecoder(contentEncoding: string | undefined): Transform | undefined {
  switch (contentEncoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

interface BodyReaderEvents {
  /** The body grew past the cap, or the compressed stream was invalid. */
  readonly onError: (error: unknown) => void;
  /** The decoder's buffer drained: wire reading may resume. */
  readonly onDrain: () => void;
  /** With truncation on, the body reached the cap: what was kept is the body, read no more. */
  readonly onTruncated?: () => void;
}

/**
 * Counts, caps, hashes or keeps one response body as undici hands it over, chunk by chunk.
 * The cap applies to decoded bytes: a 200 KB gzip bomb is stopped at `maxBytes` of output, not
 * after inflating to 200 MB (undici's `maxResponseSize` counts wire bytes, so it cannot).
 */
class BodyReader {
  bytes = 0;
  readonly #maxBytes: number;
  readonly #hash: Hash | undefined;
  readonly #chunks: Buffer[] | undefined;
  /** Patterns removed from the body before `normalizedSha256`; the body is held to apply them. */
  readonly #ignore: readonly RegExp[];
  readonly #decoder: Transform | undefined;
  readonly #events: BodyReaderEvents;
  readonly #keep: boolean;
  /** A body past the cap is cut there (and `truncated` set) instead of failing. */
  readonly #truncate: boolean;
  truncated = false;
  #failed = false;
  /** Whether any encoded byte arrived: an empty body is empty, whatever its Content-Encoding. */
  #encodedBytesSeen = false;

  constructor(mode: string, maxBytes: number, contentEncoding: string | undefined, events: BodyReaderEvents, ignore: readonly RegExp[] = [], truncate = false) {
    this.#maxBytes = maxBytes;
    this.#truncate = truncate;
    this.#events = events;
    this.#hash = mode === BodyMode.DISCARD ? undefined : createHash('sha256');
    this.#ignore = mode === BodyMode.DISCARD ? [] : ignore;
    this.#chunks = mode === BodyMode.KEEP || this.#ignore.length > 0 ? [] : undefined;
    this.#keep = mode === BodyMode.KEEP;
    this.#decoder = createDecoder(contentEncoding);
    if (this.#decoder) {
      this.#decoder.on('data', (chunk: Buffer) => this.#accept(chunk));
      this.#decoder.on('error', (error: Error) => this.#fail(error));
      this.#decoder.on('drain', events.onDrain);
    }
  }

  /** Feeds one wire chunk; returns false when the caller should pause the socket. */
  write(chunk: Buffer): boolean {
    if (this.#failed) return true;
    if (this.#decoder) {
      this.#encodedBytesSeen ||= chunk.length > 0;
      return this.#decoder.write(chunk);
    }
    this.#accept(chunk);
    return true;
  }

  /** Calls `done` once every decoded byte has been accepted (or never, after a failure). */
  end(done: () => void): void {
    if (this.#failed) return;
    // A zero-length body with Content-Encoding: gzip is no gzip stream at all, and zlib calls it
    // truncated; curl and browsers read it as empty, and so does this.
    if (!this.#decoder || !this.#encodedBytesSeen) {
      this.#decoder?.destroy();
      done();
      return;
    }
    this.#decoder.once('end', () => {
      if (!this.#failed) done();
    });
    this.#decoder.end();
  }

  destroy(): void {
    this.#failed = true;
    this.#decoder?.destroy();
  }

  get sha256(): string | undefined {
    return this.#hash?.digest('hex');
  }

  get body(): Buffer | undefined {
    return this.#keep && this.#chunks ? Buffer.concat(this.#chunks) : undefined;
  }

  /**
   * sha256 of the body (as UTF-8 text) with every match of the ignore patterns removed: what
   * stays the same when only a timestamp or a token moved. Undefined without patterns.
   */
  get normalizedSha256(): string | undefined {
    if (this.#ignore.length === 0 || !this.#chunks) return undefined;
    let text = Buffer.concat(this.#chunks).toString('utf8');
    for (const pattern of this.#ignore) text = text.replace(pattern, '');
    return createHash('sha256').update(text).digest('hex');
  }

  #accept(chunk: Buffer): void {
    if (this.#failed) return;
    if (this.bytes + chunk.length > this.#maxBytes && this.#truncate) {
      this.#cut(chunk.subarray(0, this.#maxBytes - this.bytes));
      return;
    }
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      this.#fail(tooLarge(this.#maxBytes));
      return;
    }
    this.#hash?.update(chunk);
    this.#chunks?.push(chunk);
  }

  /** Keeps `head`, the last bytes under the cap, and ends the body there. */
  #cut(head: Buffer): void {
    this.bytes += head.length;
    this.#hash?.update(head);
    this.#chunks?.push(head);
    this.truncated = true;
    // Nothing more is accepted; the digests above stay readable.
    this.#failed = true;
    this.#decoder?.destroy();
    this.#events.onTruncated?.();
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.destroy();
    this.#events.onError(error);
  }
}

export { BodyReader, tooLarge };
