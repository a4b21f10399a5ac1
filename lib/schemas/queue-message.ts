import * as v from 'valibot';
import { OPTION_RANGES } from '../core/option-ranges.ts';
import type { FetchRequest } from '../engine/fetch-types.ts';
import { JOB_ID_PATTERN, JOB_ID_RULE, MESSAGE_KEY_PATTERN, type JobRef } from '../jobs/job-ref.ts';
import { FetchRequestSchema, OkStatusSchema, type FetchRequestInput } from './fetch-request.ts';
import { ranged } from './ranged.ts';
import { parseMethod } from '../engine/request-target.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';

/** Most URLs one message may carry: bounds the work (and the memory) one record can demand. */
const MAX_URLS_PER_MESSAGE = OPTION_RANGES.messageUrls.max;
/**
 * URLs per message when enqueued (the CLI's `enqueue`, the enqueue function, `job redrive`). A
 * job pays per message, not per URL: a records object PUT ($0.005 per 1,000), a shard update
 * and a lookup. 250 URLs spread that to $0.03 per million URLs (bench:refetch-job), and a
 * message still takes seconds, not minutes, at the per-origin limits (a deadline hands the rest
 * on). The local run cuts its own messages (`run --message-urls`, 500).
 */
const DEFAULT_MESSAGE_URLS = 250;


/**
 * A message's `options`: limits that can only tighten the consumer's, and what its URLs ask of
 * their responses (a request's own `method`, `okStatus` and `headFallback` win over these).
 */
const MessageOptionsSchema = v.optional(v.strictObject({
  timeoutMs: ranged(OPTION_RANGES.timeoutMs),
  retries: ranged(OPTION_RANGES.retries),
  maxBodyBytes: ranged(OPTION_RANGES.maxBodyBytes),
  okStatus: v.optional(OkStatusSchema),
  method: v.optional(v.pipe(v.string(), v.check((method) => parseMethod(method).ok, 'method must be an HTTP method such as GET or HEAD (not CONNECT)'))),
  headFallback: v.optional(v.boolean()),
}));

const UrlList = v.pipe(
  v.array(v.pipe(v.string(), v.maxLength(8192))),
  v.minLength(1, 'urls must not be empty'),
  v.maxLength(MAX_URLS_PER_MESSAGE, `at most ${MAX_URLS_PER_MESSAGE} URLs per message`),
);
const RequestList = v.pipe(
  v.array(FetchRequestSchema),
  v.minLength(1, 'requests must not be empty'),
  v.maxLength(MAX_URLS_PER_MESSAGE, `at most ${MAX_URLS_PER_MESSAGE} requests per message`),
);

/**
 * The body of one SQS message: `{"urls": [...]}` or `{"requests": [{url, method, headers, body,
 * id, attempts}]}`, with optional bounded per-message `options`. Documented in the README.
 */
const Hop = ranged(OPTION_RANGES.hop);
/** The job a message belongs to and its key in it (see lib/jobs/job-ref.ts); written by enqueuers. */
const JobRefSchema = v.optional(v.strictObject({
  id: v.pipe(v.string(), v.regex(JOB_ID_PATTERN, `job.id must be ${JOB_ID_RULE}`)),
  key: v.pipe(v.string(), v.regex(MESSAGE_KEY_PATTERN, 'job.key must look like 17 or 17~0')),
}));
/** The input line of each URL, parallel to `urls` (0: none). */
const LineList = v.optional(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))));
const UrlsMessageSchema = v.pipe(
  v.strictObject({ urls: UrlList, lines: LineList, options: MessageOptionsSchema, hop: Hop, job: JobRefSchema }),
  v.check((message) => message.lines === undefined || message.lines.length === message.urls.length, 'lines must have one entry per URL'),
);
const RequestsMessageSchema = v.strictObject({ requests: RequestList, options: MessageOptionsSchema, hop: Hop, job: JobRefSchema });
// Chosen by key rather than v.union, whose errors would not say which field is wrong.
const QueueMessageSchema = v.union([UrlsMessageSchema, RequestsMessageSchema]);

type QueueMessage = v.InferOutput<typeof QueueMessageSchema>;
type MessageOptions = NonNullable<QueueMessage['options']>;

interface ParsedMessage {
  readonly requests: FetchRequest[];
  readonly options: MessageOptions;
  /** How many continuation hops led to this message (0 for an original). */
  readonly hop: number;
  /** The job this message is accounted to, when it belongs to one. */
  readonly job?: JobRef;
}

/** Parses and validates a message body; returns a reason instead of throwing. */
function parseQueueMessage(body: string): Outcome<ParsedMessage, string> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return failure('message body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || ('urls' in json) === ('requests' in json)) {
    return failure('message body is not a batchfetch message: it needs exactly one of `urls` or `requests`');
  }
  const parsed = v.safeParse('urls' in json ? UrlsMessageSchema : RequestsMessageSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((item) => String(item.key)).join('.');
    return failure(`message body is not a batchfetch message${path ? ` (${path})` : ''}: ${issue.message}`);
  }
  const message = parsed.output;
  const options = message.options ?? {};
  const { okStatus, method, headFallback, ...limitOptions } = options;
  const limits = Object.keys(limitOptions).length > 0 ? limitOptions : undefined;
  // What the message asks of every URL's response; each request's own fields win.
  const asked = defined({ okStatus, method, headFallback });
  const withOptions = (request: FetchRequest): FetchRequest => {
    const withAsked = asked ? { ...asked, ...request } : request;
    return limits ? { ...withAsked, limits } : withAsked;
  };
  const requests = 'urls' in message
    ? message.urls.map((url, i): FetchRequest => {
      const line = message.lines?.[i];
      return withOptions(line ? { url, line } : { url });
    })
    : message.requests.map((wire) => withOptions(fromWire(wire)));
  return success(message.job ? { requests, options, hop: message.hop ?? 0, job: message.job } : { requests, options, hop: message.hop ?? 0 });
}

/** The fields that are set, or undefined when none is. */
function defined<T extends object>(fields: T): Partial<T> | undefined {
  const set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return Object.keys(set).length > 0 ? set as Partial<T> : undefined;
}

function fromWire({ attempts, ...rest }: FetchRequestInput): FetchRequest {
  return attempts === undefined ? rest : { ...rest, priorAttempts: attempts };
}

/** The wire form of a request (`priorAttempts` travels as `attempts`). */
function toWire({ priorAttempts, limits: _limits, ...rest }: FetchRequest): FetchRequestInput {
  return priorAttempts ? { ...rest, attempts: priorAttempts } : rest;
}

export { DEFAULT_MESSAGE_URLS, MAX_URLS_PER_MESSAGE, MessageOptionsSchema, parseQueueMessage, QueueMessageSchema, toWire };
export type { MessageOptions, ParsedMessage, QueueMessage };
