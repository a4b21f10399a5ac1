import type { ParsedLine } from '../input/parse-request-line.ts';
import { enqueueRequests, type EnqueueSummary } from './enqueue-requests.ts';
import type { SqsSender } from '../queue/sqs-sender.ts';
import type { SplitOptions } from '../queue/split-into-messages.ts';
import { MESSAGES_PER_SHARD } from '../jobs/job-ref.ts';
import type { JobStore, NewJob } from '../jobs/job-store.ts';
import type { JobSummary } from '../jobs/job-summary.ts';

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
  split: SplitOptions,
  store: JobStore,
  job: NewJob,
): Promise<JobEnqueueSummary> {
  const created = await store.create(job);
  if (!created.created && created.existing.status !== 'enqueuing') {
    const { total: urls, messages, invalid } = created.existing;
    return { jobId: job.jobId, duplicate: true, urls, messages, invalid, invalidSamples: [] };
  }
  let shardUrls = 0;
  const shardDone = async (shard: number) => {
    await sender.flush();
    await store.shardEnqueued(job.jobId, shard, shardUrls);
    shardUrls = 0;
  };
  const summary = await enqueueRequests(lines, sender, { ...split, job: { id: job.jobId, keyOf: String } }, async (index, urls) => {
    shardUrls += urls;
    if ((index + 1) % MESSAGES_PER_SHARD === 0) await shardDone(Math.floor(index / MESSAGES_PER_SHARD));
  });
  const shards = Math.ceil(summary.messages / MESSAGES_PER_SHARD);
  if (summary.messages % MESSAGES_PER_SHARD !== 0) await shardDone(shards - 1);
  const completed = await store.enqueued(job.jobId, { total: summary.urls, messages: summary.messages, invalid: summary.invalid, shards });
  return completed ? { ...summary, jobId: job.jobId, completed } : { ...summary, jobId: job.jobId };
}

/**
 * Enqueues a list: as a job when a job store is given (see `enqueueJob`), or as plain messages.
 * The one entry point of the enqueue function, `batchfetch enqueue` and the schedules.
 */
async function enqueueList(
  lines: AsyncIterable<ParsedLine>,
  sender: SqsSender,
  split: SplitOptions,
  job?: { readonly store: JobStore; readonly job: NewJob },
): Promise<EnqueueSummary | JobEnqueueSummary> {
  return job ? enqueueJob(lines, sender, split, job.store, job.job) : enqueueRequests(lines, sender, split);
}

export { enqueueJob, enqueueList };
export type { JobEnqueueSummary };
