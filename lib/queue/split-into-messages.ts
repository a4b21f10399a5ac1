import type { FetchRequest } from '../engine/fetch-types.ts';
import { InvalidOptionError } from '../errors.ts';
import { MAX_URLS_PER_MESSAGE, toWire, type MessageOptions } from '../schemas/queue-message.ts';

/** SQS's limit on one message (1 MiB since August 2025; shared/FACTS.md). */
const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;

interface SplitOptions {
  /** URLs per message at most. @default 100 */
  readonly maxUrls?: number;
  /** Body size per message at most, in UTF-8 bytes. @default 256 KiB */
  readonly maxBytes?: number;
  readonly options?: MessageOptions;
  /** Continuation hop carried by every message. @default 0 */
  readonly hop?: number;
}

type SplitItem =
  | { readonly kind: 'message'; readonly body: string; readonly requests: readonly FetchRequest[] }
  /** A single request too large for any message: it must be reported, not sent. */
  | { readonly kind: 'oversized'; readonly request: FetchRequest };

/**
 * Groups requests into message bodies of at most `maxUrls` URLs and `maxBytes` bytes, in input
 * order, each request in exactly one message. Bare URLs use the compact `{"urls": [...]}` form.
 */
async function* splitIntoMessages(
  requests: Iterable<FetchRequest> | AsyncIterable<FetchRequest>,
  splitOptions: SplitOptions = {},
): AsyncGenerator<SplitItem> {
  const maxUrls = splitOptions.maxUrls ?? 100;
  const maxBytes = splitOptions.maxBytes ?? 256 * 1024;
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
  // Bytes of the envelope around the items, in the larger (`requests`) form.
  const envelopeBytes = Buffer.byteLength(JSON.stringify({ requests: [], ...extra }));

  let batch: FetchRequest[] = [];
  /** Each request as JSON in the `requests` form. */
  let items: string[] = [];
  /** Each URL as a JSON string, for the compact `urls` form while every request is bare. */
  let urlItems: string[] = [];
  let bytes = envelopeBytes;
  let allBare = true;
  const extraJson = Object.keys(extra).length > 0 ? `,${JSON.stringify(extra).slice(1, -1)}` : '';

  const flush = (): SplitItem => {
    const body = allBare ? `{"urls":[${urlItems.join(',')}]${extraJson}}` : `{"requests":[${items.join(',')}]${extraJson}}`;
    const message: SplitItem = { kind: 'message', body, requests: batch };
    batch = [];
    items = [];
    urlItems = [];
    bytes = envelopeBytes;
    allBare = true;
    return message;
  };

  for await (const request of requests) {
    const bare = request.method === undefined && request.headers === undefined && request.body === undefined
      && request.id === undefined && !request.priorAttempts;
    const urlJson = JSON.stringify(request.url);
    const item = bare ? `{"url":${urlJson}}` : JSON.stringify(toWire(request));
    const itemBytes = Buffer.byteLength(item) + 1;
    if (envelopeBytes + itemBytes > maxBytes) {
      yield { kind: 'oversized', request };
      continue;
    }
    if (batch.length > 0 && (batch.length >= maxUrls || bytes + itemBytes > maxBytes)) yield flush();
    batch.push(request);
    items.push(item);
    urlItems.push(urlJson);
    bytes += itemBytes;
    allBare &&= bare;
  }
  if (batch.length > 0) yield flush();
}

export { splitIntoMessages, SQS_MAX_MESSAGE_BYTES };
export type { SplitItem, SplitOptions };
