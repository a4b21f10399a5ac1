import type { FetchRequest } from '../engine/fetch-types.ts';
import type { ParsedMessage } from '../schemas/queue-message.ts';
import { continuationKey } from '../jobs/job-ref.ts';
import { SQS_MAX_MESSAGE_BYTES, splitIntoMessages } from './split-into-messages.ts';
import { MAX_URLS_PER_MESSAGE } from '../schemas/queue-message.ts';
import { OPTION_RANGES } from '../core/option-ranges.ts';

/**
 * Hands unfinished URLs on to a later invocation. Lambda stops a Lambda → same queue → Lambda
 * loop after about 16 hops (Lambda recursive loop detection,
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html), so `maxHops` must stay
 * well below that.
 */
interface Continuation {
  readonly maxHops: number;
  /** Sends one message body to the queue (the fetch queue itself, in the default stack). */
  send(body: string): Promise<void>;
}

/** Largest `maxHops` accepted: far below Lambda's recursive-loop detection (~16). */
const MAX_CONTINUATION_HOPS = OPTION_RANGES.maxContinuationHops.max;

/** Sends `requests` (attempt counts carried) as continuation messages one hop further. */
async function planContinuation(continuation: Continuation, requests: readonly FetchRequest[], from: ParsedMessage): Promise<void> {
  const withoutLimits = requests.map(({ limits: _limits, ...request }) => request);
  const job = from.job && { id: from.job.id, keyOf: (part: number) => continuationKey(from.job!.key, part) };
  for await (const item of splitIntoMessages(withoutLimits, {
    maxUrls: MAX_URLS_PER_MESSAGE, maxBytes: SQS_MAX_MESSAGE_BYTES, options: from.options, hop: from.hop + 1, ...(job ? { job } : {}),
  })) {
    if (item.kind === 'oversized') throw new Error('a request no longer fits in one queue message');
    await continuation.send(item.body);
  }
}

export { MAX_CONTINUATION_HOPS, planContinuation };
export type { Continuation };
