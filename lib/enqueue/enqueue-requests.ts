import type { FetchResult } from '../engine/fetch-types.ts';
import type { ParsedLine } from '../input/parse-request-line.ts';
import type { SqsSender } from '../queue/sqs-sender.ts';
import { groupByOrigin } from '../queue/group-by-origin.ts';
import { splitIntoMessages, type SplitOptions } from '../queue/split-into-messages.ts';
import { DEFAULT_MESSAGE_URLS } from '../schemas/queue-message.ts';

/** What an enqueue run did; returned by the enqueue function and the CLI. */
interface EnqueueSummary {
  /** URLs sent to the queue. */
  urls: number;
  messages: number;
  /** Lines or requests refused (invalid URL or request, or too large for one message). */
  invalid: number;
  /** The first refused ones, with their reasons (at most 20). */
  invalidSamples: Array<{ url: string; code: string; message: string }>;
}

const MAX_SAMPLES = 20;

/** How a list is cut into messages; `groupDir`: where a long list is spilled to group it by origin. */
type EnqueueSplit = SplitOptions & { readonly groupDir?: string };

/**
 * Splits parsed lines into messages, one origin's URLs together (groupByOrigin: with a
 * `groupDir`, a long list is spilled there to be grouped), and sends them (10 per
 * SendMessageBatch, retried), pulling input only as fast as SQS accepts it: a source of millions
 * of lines never sits in memory. Invalid lines are counted and reported, never sent.
 */
async function enqueueRequests(
  lines: AsyncIterable<ParsedLine>,
  sender: SqsSender,
  split: EnqueueSplit = {},
  /** Called after each message is handed to the sender, with its index and URL count. */
  onMessage?: (index: number, urls: number) => Promise<void>,
): Promise<EnqueueSummary> {
  const summary: EnqueueSummary = { urls: 0, messages: 0, invalid: 0, invalidSamples: [] };
  const refuse = (result: Pick<FetchResult, 'url' | 'error'>) => {
    summary.invalid += 1;
    if (summary.invalidSamples.length < MAX_SAMPLES && result.error) {
      summary.invalidSamples.push({ url: result.url.slice(0, 200), code: result.error.code, message: result.error.message });
    }
  };
  async function* requests() {
    // One origin's URLs travel together: a consumer fetches a message over one warm connection.
    for await (const group of groupByOrigin(lines, { groupUrls: split.maxUrls ?? DEFAULT_MESSAGE_URLS, ...(split.groupDir ? { dir: split.groupDir } : {}) })) {
      for (const line of group) {
        if (line.kind === 'request') yield line.request;
        else if (line.kind === 'invalid') refuse(line.result);
      }
    }
  }
  for await (const item of splitIntoMessages(requests(), split)) {
    if (item.kind === 'oversized') {
      refuse({ url: item.request.url, error: { code: 'INVALID_REQUEST', message: 'request is larger than one queue message' } });
      continue;
    }
    await sender.add(item.body);
    summary.messages += 1;
    summary.urls += item.requests.length;
    await onMessage?.(summary.messages - 1, item.requests.length);
  }
  await sender.flush();
  return summary;
}

export { enqueueRequests };
export type { EnqueueSplit, EnqueueSummary };
