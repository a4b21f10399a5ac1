import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/*
 * The layout of the state table (the construct's JobsTable; `local-sqs` creates the same), in
 * one place: every item's key, and the index that lists jobs. Partition key `pk`, sort key `sk`,
 * both strings; items expire through DynamoDB TTL on `ttl` (seconds).
 *
 *   job#<id>       / job            a job's header (status, totals, complete shards)
 *   job#<id>       / shard#<n>      counts of the messages of one accounting shard
 *   host#<host>    / rate#<ms>#<w>  the fleet's requests to a host in one rate window
 *   robots#<origin>/ robots         an origin's robots.txt, shared by the fleet
 *
 * Only job headers carry `listing` (always `job`): the sparse index below holds nothing else, so
 * listing jobs reads job headers only — never shards, rate windows or robots.txt items.
 */

/** The sparse global secondary index that lists job headers, newest first. */
const JOB_LISTING_INDEX = 'jobs-by-created';
const JOB_LISTING_KEY = { partition: 'listing', sort: 'createdAt', value: 'job' } as const;

interface StateKey {
  readonly pk: string;
  readonly sk: string;
}

const jobPartition = (jobId: string): string => `job#${jobId}`;

const StateKeys = {
  jobPartition,
  job: (jobId: string): StateKey => ({ pk: jobPartition(jobId), sk: 'job' }),
  /** Zero-padded so a job's shards sort in order. */
  shard: (jobId: string, shard: number): StateKey => ({ pk: jobPartition(jobId), sk: `shard#${String(shard).padStart(6, '0')}` }),
  rateWindow: (host: string, windowMs: number, window: number): StateKey => ({ pk: `host#${host}`, sk: `rate#${windowMs}#${window}` }),
  robots: (origin: string): StateKey => ({ pk: `robots#${origin}`, sk: 'robots' }),
} as const;

/** A conditional write refused because its condition did not hold (the SDK's class, or its name across bundles). */
function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

export { isConditionFailure, JOB_LISTING_INDEX, JOB_LISTING_KEY, StateKeys };
export type { StateKey };
