import * as v from 'valibot';
import { OPTION_RANGES } from '../core/option-ranges.ts';
import { JOB_ID_PATTERN, JOB_ID_RULE } from '../jobs/job-ref.ts';
import { MessageOptionsSchema } from '../schemas/queue-message.ts';
import { ranged } from '../schemas/ranged.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';

/**
 * The enqueue function's input (from EventBridge Scheduler or a direct invoke): exactly one source.
 * - `{"urls": ["https://…"]}` or `{"requests": [{url, method, headers, body, id}]}` inline;
 * - `{"source": "s3://bucket/key"}`: a text or JSON-lines list in S3, streamed (millions of lines);
 * - `{"sitemap": "https://…/sitemap.xml"}`: a sitemap or sitemap index, gzip allowed.
 * Optional: `messageUrls` (URLs per message), `options` (per-message fetch limits), `jobId` and
 * `toleratedFailurePercentage` (the job it starts, when a jobs table is configured), and what the
 * job compares with: `sinceJob` (an earlier job), or for `schedule` (a schedule's name, which
 * the schedules pass) the schedule's previous finished job unless `compare` is false.
 */
const EnqueueEventSchema = v.pipe(
  v.strictObject({
    urls: v.optional(v.pipe(v.array(v.string()), v.maxLength(100_000))),
    requests: v.optional(v.pipe(v.array(v.unknown()), v.maxLength(100_000))),
    source: v.optional(v.pipe(v.string(), v.regex(/^s3:\/\/[^/]+\/.+$/, 'source must look like s3://bucket/key'))),
    sitemap: v.optional(v.pipe(v.string(), v.maxLength(8192))),
    messageUrls: ranged(OPTION_RANGES.messageUrls),
    /** The job to start (a schedule passes its name and scheduled time); generated when absent. */
    jobId: v.optional(v.pipe(v.string(), v.regex(JOB_ID_PATTERN, `jobId must be ${JOB_ID_RULE}`))),
    /** The job fails when more than this share of its URLs fail (as Step Functions' Distributed Map). */
    toleratedFailurePercentage: ranged(OPTION_RANGES.toleratedFailurePercentage),
    // The messages' own `options`, validated here so a bad schedule fails at enqueue, not per message.
    options: MessageOptionsSchema,
    /** Compare with this earlier, finished job (its records in the results bucket). */
    sinceJob: v.optional(v.pipe(v.string(), v.regex(JOB_ID_PATTERN, `sinceJob must be ${JOB_ID_RULE}`))),
    /** The schedule that fired (recorded on the job; its next job compares with this one). */
    schedule: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
    /** With `schedule`: compare with its previous finished job. @default true */
    compare: v.optional(v.boolean()),
  }),
  v.check((event) => [event.urls, event.requests, event.source, event.sitemap].filter((s) => s !== undefined).length === 1,
    'the event needs exactly one of urls, requests, source or sitemap'),
  v.check((event) => !(event.compare === false && event.sinceJob !== undefined), 'sinceJob asks to compare; it cannot go with compare: false'),
);

type EnqueueEvent = v.InferOutput<typeof EnqueueEventSchema>;

function parseEnqueueEvent(event: unknown): Outcome<EnqueueEvent, string> {
  const parsed = v.safeParse(EnqueueEventSchema, event);
  if (parsed.success) return success(parsed.output);
  const issue = parsed.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join('.');
  return failure(`invalid enqueue event${path ? ` (${path})` : ''}: ${issue.message}`);
}

export { parseEnqueueEvent };
export type { EnqueueEvent };
