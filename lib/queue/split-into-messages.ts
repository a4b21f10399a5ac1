import type { FetchRequest } from '../engine/fetch-types.ts';
import { InvalidOptionError } from '../core/errors.ts';
import { DEFAULT_MESSAGE_URLS, MAX_URLS_PER_MESSAGE, toWire, type MessageOptions } from '../schemas/queue-message.ts';

/**
 * SQS's limit on one message: 1 MiB since August 2025 (Amazon SQS quotas,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
 * The one limit: the construct sets it as its queues' maximum message size, and enqueues and
 * continuations split at it.
 */
const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;

interface SplitOptions {
  /** URLs per message at most. @default 100 */
  readonly maxUrls?: number;
  /** Body size per message at most, in UTF-8 bytes. @default SQS_MAX_MESSAGE_BYTES */
  readonly maxBytes?: number;
  readonly options?: MessageOptions;
  /** Continuation hop carried by every message. @default 0 */
  readonly hop?: number;
  /** The job every message belongs to, and the key of the n-th message (0-based) in it. */
  readonly job?: { readonly id: string; readonly keyOf: (index: number) => string };
}

/** Room kept in each message for its `job` field (id ≤ 128 characters, key ≤ 128). */
const JOB_FIELD_BYTES = 300;

type SplitItem =
  | { readonly kind: 'message'; readonly body: string; readonly requests: readonly FetchRequest[] }
  /** A single request too large for any message: it must be reported, not sent. */
  | { readonly kind: 'oversized'; readonly request: FetchRequest };

/**
 * Groups requests into message bodies of at most `maxUrls` URLs and `maxBytes` bytes, in input
 * order, each request in exactly one message. Bare URLs use the compact `{"urls": [...]}` form.
 * Synchronous, so a producer awaits once per message rather than once per URL.
 */
class MessageSplitter {
  readonly #maxUrls: number;
  readonly #maxBytes: number;
  /** Bytes of the envelope around the items, in the larger (`requests`) form. */
  readonly #envelopeBytes: number;
  readonly #extraJson: string;
  readonly #job: SplitOptions['job'];
  #messages = 0;
  #batch: FetchRequest[] = [];
  /** Each request as JSON in the `requests` form (built only once a request is not bare). */
  #items: string[] | undefined;
  /** Each URL as a JSON string, for the compact `urls` form. */
  #urlItems: string[] = [];
  /** Input line numbers, for the `urls` form's `lines` (undefined while no request has one). */
  #lines: number[] | undefined;
  #bytes: number;

  constructor(splitOptions: SplitOptions = {}) {
    const maxUrls = splitOptions.maxUrls ?? DEFAULT_MESSAGE_URLS;
    const maxBytes = splitOptions.maxBytes ?? SQS_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(maxUrls) || maxUrls < 1 || maxUrls > MAX_URLS_PER_MESSAGE) {
      throw new InvalidOptionError('maxUrls', `an integer from 1 to ${MAX_URLS_PER_MESSAGE}`, maxUrls);
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1024 || maxBytes > SQS_MAX_MESSAGE_BYTES) {
      throw new InvalidOptionError('maxBytes', `an integer from 1024 to ${SQS_MAX_MESSAGE_BYTES}`, maxBytes);
    }
    const extra = {
      ...(splitOptions.options && Object.keys(splitOptions.options).length > 0 ? { options: splitOptions.options } : {}),
      ...(splitOptions.hop ? { hop: splitOptions.hop } : {}),
    };
    this.#maxUrls = maxUrls;
    this.#maxBytes = maxBytes;
    this.#job = splitOptions.job;
    this.#envelopeBytes = Buffer.byteLength(JSON.stringify({ requests: [], ...extra })) + (this.#job ? JOB_FIELD_BYTES : 0);
    this.#extraJson = Object.keys(extra).length > 0 ? `,${JSON.stringify(extra).slice(1, -1)}` : '';
    this.#bytes = this.#envelopeBytes;
  }

  /**
   * Adds a request. Returns the message it completed (the request then starts the next one), or
   * `oversized` when the request alone exceeds a message (it is not added), or nothing.
   */
  add(request: FetchRequest): SplitItem | undefined {
    // Every field of FetchRequest that travels, but `url` and `line` (test/queue checks each one).
    const bare = request.method === undefined && request.headers === undefined && request.body === undefined
      && request.id === undefined && !request.priorAttempts && request.previous === undefined
      && request.okStatus === undefined && request.headFallback === undefined;
    const urlJson = JSON.stringify(request.url);
    const item = bare ? bareItem(urlJson, request.line) : JSON.stringify(toWire(request));
    const itemBytes = Buffer.byteLength(item) + 1;
    if (this.#envelopeBytes + itemBytes > this.#maxBytes) return { kind: 'oversized', request };
    let completed: SplitItem | undefined;
    if (this.#batch.length > 0 && (this.#batch.length >= this.#maxUrls || this.#bytes + itemBytes > this.#maxBytes)) completed = this.finish();
    if (!bare && this.#items === undefined) this.#items = this.#urlItems.map((json, i) => bareItem(json, this.#lines?.[i]));
    if (request.line !== undefined && this.#lines === undefined) this.#lines = this.#batch.map((earlier) => earlier.line ?? 0);
    this.#batch.push(request);
    this.#items?.push(item);
    this.#urlItems.push(urlJson);
    this.#lines?.push(request.line ?? 0);
    this.#bytes += itemBytes;
    return completed;
  }

  /** The message being filled, if it holds any request; the next `add` starts a new one. */
  finish(): SplitItem | undefined {
    if (this.#batch.length === 0) return undefined;
    const job = this.#job ? `,"job":${JSON.stringify({ id: this.#job.id, key: this.#job.keyOf(this.#messages) })}` : '';
    this.#messages += 1;
    const lines = this.#lines ? `,"lines":[${this.#lines.join(',')}]` : '';
    const body = this.#items === undefined
      ? `{"urls":[${this.#urlItems.join(',')}]${lines}${this.#extraJson}${job}}`
      : `{"requests":[${this.#items.join(',')}]${this.#extraJson}${job}}`;
    const message: SplitItem = { kind: 'message', body, requests: this.#batch };
    this.#batch = [];
    this.#items = undefined;
    this.#urlItems = [];
    this.#lines = undefined;
    this.#bytes = this.#envelopeBytes;
    return message;
  }
}

/**
 * A request that is only a URL (and its input line): `{"url":…,"line":N}`. Its size also stands
 * for its share of the `urls` form (the URL, and the line number in `lines`).
 */
function bareItem(urlJson: string, line: number | undefined): string {
  return line === undefined ? `{"url":${urlJson}}` : `{"url":${urlJson},"line":${line}}`;
}

/** `MessageSplitter` over an iterable of requests. */
async function* splitIntoMessages(
  requests: Iterable<FetchRequest> | AsyncIterable<FetchRequest>,
  splitOptions: SplitOptions = {},
): AsyncGenerator<SplitItem> {
  const splitter = new MessageSplitter(splitOptions);
  for await (const request of requests) {
    const item = splitter.add(request);
    if (item) yield item;
  }
  const last = splitter.finish();
  if (last) yield last;
}

export { MessageSplitter, splitIntoMessages, SQS_MAX_MESSAGE_BYTES };
export type { SplitItem, SplitOptions };
