import type { ParsedLine } from '../input/parse-request-line.ts';
import { enqueueRequests, type EnqueueSplit, type EnqueueSummary } from './enqueue-requests.ts';
import type { SqsSender } from '../queue/sqs-sender.ts';
import type { JobSummary } from '../jobs/job-summary.ts';
import { jobEndBody } from '../schemas/job-end-message.ts';
import { MESSAGES_PER_SHARD } from '../jobs/job-ref.ts';
import type { JobStore, NewJob } from '../jobs/job-store.ts';
import { missingLine } from '../sinks/change-report.ts';
import { joinEarlier } from './join-earlier.ts';

/** How a job compares with an earlier one (see compare-with-earlier.ts, which builds it). */
interface Comparison {
  /** The earlier job's record lines; absent when there is none yet (every URL is `new`). */
  readonly earlier?: AsyncIterable<string>;
  /** A directory for the join's partition files (/tmp in Lambda). */
  readonly spillDir: string;
  /** Where the earlier job's URLs this list no longer has are reported. */
  readonly missing: { add(line: string): Promise<void>; flush(): Promise<void>; readonly count: number };
}

/** Every request with its earlier record (`previous`), and the missing URLs reported. */
async function* compared(lines: AsyncIterable<ParsedLine>, comparison: Comparison): AsyncGenerator<ParsedLine> {
  if (comparison.earlier === undefined) {
    for await (const line of lines) yield line.kind === 'request' ? { kind: 'request', request: { ...line.request, previous: null } } : line;
    return;
  }
  yield* joinEarlier(lines, comparison.earlier, { dir: comparison.spillDir, onMissing: (entry) => comparison.missing.add(missingLine(entry)) });
  await comparison.missing.flush();
}

/** What enqueueing a job did. `duplicate`: the job id was taken by a job past enqueuing; nothing was sent. */
type JobEnqueueSummary = EnqueueSummary & {
  readonly jobId: string;
  readonly duplicate?: true;
  /** Set when the job finished while it was being enqueued (an empty or very fast job). */
  readonly completed?: JobSummary;
};

/**
 * Starts a job and enqueues its URLs: message `n` gets key `n`, and each hundred messages (one
 * accounting shard) is flushed to SQS, then recorded with its URL count, so consumers can tell
 * when a shard is done. Enqueueing a job id that exists is a no-op once the job runs; a job still
 * `enqueuing` (its enqueuer died or is being retried, as Lambda retries an asynchronous
 * invocation) is enqueued again from the start: messages keep their keys, so the consumers count
 * each once even if it is sent twice.
 */
async function enqueueJob(
  lines: AsyncIterable<ParsedLine>,
  sender: SqsSender,
  split: EnqueueSplit,
  store: JobStore,
  job: NewJob,
  comparison?: Comparison,
): Promise<JobEnqueueSummary> {
  const created = await store.create(job);
  if (!created.created && created.existing.status !== 'enqueuing') {
    const { total: urls, messages, invalid } = created.existing;
    // An enqueuer run again (a retried firing) asks again for the end of a job it may have ended.
    await askForEnd(sender, await store.reviewEnd(job.jobId));
    return { jobId: job.jobId, duplicate: true, urls, messages, invalid, invalidSamples: [] };
  }
  let shardUrls = 0;
  const shardDone = async (shard: number) => {
    await sender.flush();
    await store.shardEnqueued(job.jobId, shard, shardUrls);
    shardUrls = 0;
  };
  const summary = await enqueueRequests(comparison ? compared(lines, comparison) : lines, sender, { ...split, job: { id: job.jobId, keyOf: String } }, async (index, urls) => {
    shardUrls += urls;
    if ((index + 1) % MESSAGES_PER_SHARD === 0) await shardDone(Math.floor(index / MESSAGES_PER_SHARD));
  });
  const shards = Math.ceil(summary.messages / MESSAGES_PER_SHARD);
  if (summary.messages % MESSAGES_PER_SHARD !== 0) await shardDone(shards - 1);
  const completed = await store.enqueued(job.jobId, {
    total: summary.urls, messages: summary.messages, invalid: summary.invalid, shards, ...(comparison ? { missing: comparison.missing.count } : {}),
  });
  await askForEnd(sender, completed);
  return completed ? { ...summary, jobId: job.jobId, completed } : { ...summary, jobId: job.jobId };
}

/**
 * A job that ended here (every message counted before enqueuing ended, or none to send) has its
 * end asked for as consumers ask: a job-end message on the fetch queue, handled once, retried
 * until it lands (lib/jobs/job-end.ts).
 */
async function askForEnd(sender: SqsSender, ended: JobSummary | undefined): Promise<void> {
  if (!ended) return;
  await sender.add(jobEndBody(ended.jobId));
  await sender.flush();
}

/**
 * Enqueues a list: as a job when a job store is given (see `enqueueJob`), or as plain messages.
 * The one entry point of the enqueue function, `batchfetch enqueue` and the schedules.
 */
async function enqueueList(
  lines: AsyncIterable<ParsedLine>,
  sender: SqsSender,
  split: EnqueueSplit,
  job?: { readonly store: JobStore; readonly job: NewJob; readonly comparison?: Comparison },
): Promise<EnqueueSummary | JobEnqueueSummary> {
  return job ? enqueueJob(lines, sender, split, job.store, job.job, job.comparison) : enqueueRequests(lines, sender, split);
}

export { enqueueJob, enqueueList };
export type { Comparison, JobEnqueueSummary };
