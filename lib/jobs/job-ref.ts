import { randomBytes } from 'node:crypto';

/**
 * A message's place in a job: the job id, and the message key — the message's sequence number
 * at enqueue (`17`), or for a continuation its parent's key and part (`17~0`, `17~0~1`). The key
 * is what makes accounting exactly-once: a message key is counted at most once, however often SQS
 * delivers it or a sender repeats it.
 */
interface JobRef {
  readonly id: string;
  readonly key: string;
}

/** Job ids: what an S3 key segment (`job=<id>/`) and a shell argument carry without quoting. */
const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** `JOB_ID_PATTERN` in words, for every error that refuses an id. */
const JOB_ID_RULE = '1-128 letters, digits or ._:- starting with a letter or digit';
const MESSAGE_KEY_PATTERN = /^\d{1,9}(~\d{1,4}){0,20}$/;

/** Root messages per accounting shard: each shard item stays a few KB (1–3 write units an update). */
const MESSAGES_PER_SHARD = 100;

function isJobId(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}

/** `j-20261123T0400-3f9a1c`: sortable by creation, unique without coordination. */
function newJobId(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 16).replaceAll('-', '').replace(':', '');
  return `j-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The key of the `part`-th continuation message of `key`. */
function continuationKey(key: string, part: number): string {
  return `${key}~${part}`;
}

/** Where results go in a bucket when no prefix is configured (`RESULTS_PREFIX`). */
const DEFAULT_RESULTS_PREFIX = 'results/';

/** Where a job's result objects go under a results prefix (`results/job=<id>/`): S3 sink, enqueuers and redrive agree. */
function jobResultsPrefix(prefix: string, jobId: string): string {
  return `${prefix}job=${jobId}/`;
}

/** The `s3://bucket/prefix/job=<id>/` location recorded on a job. */
function jobResultsLocation(bucket: string, prefix: string, jobId: string): string {
  return `s3://${bucket}/${jobResultsPrefix(prefix, jobId)}`;
}

/** The accounting shard of a message: its root sequence number's hundred. */
function shardOf(key: string): number {
  return Math.floor(Number.parseInt(key, 10) / MESSAGES_PER_SHARD);
}

export { continuationKey, DEFAULT_RESULTS_PREFIX, isJobId, JOB_ID_PATTERN, JOB_ID_RULE, jobResultsLocation, jobResultsPrefix, MESSAGE_KEY_PATTERN, MESSAGES_PER_SHARD, newJobId, shardOf };
export type { JobRef };
