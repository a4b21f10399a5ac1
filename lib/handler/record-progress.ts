import type { SQSRecord } from 'aws-lambda';
import { ErrorCode, FetchError } from '../core/errors.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';
import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import { invalidResult } from '../input/invalid-result.ts';
import type { ContinuedUrl } from '../jobs/job-store.ts';
import { JobTally } from '../jobs/job-tally.ts';
import { jobEndOf } from '../schemas/job-end-message.ts';
import { parseQueueMessage, type ParsedMessage } from '../schemas/queue-message.ts';
import type { ResultOrigin, StoredMessage } from '../sinks/result-sink.ts';
import { recordProblem } from './sqs-event-shape.ts';

/**
 * Which way a delivery of a record goes; one value, decided when the record is planned and looked
 * up, changed only when storing finds another delivery's records (`fresh` → `adopt`). The table
 * of every interleaving is in docs/jobs.md.
 */
type RecordPath =
  /** Not a batchfetch message: it fails every delivery (then the DLQ). */
  | { readonly kind: 'invalid'; readonly problem: string }
  /** A job-end message: the ended job's objects and event are written, once (lib/jobs/job-end.ts). */
  | { readonly kind: 'end'; readonly jobId: string }
  /** Not counted by a job (no job, or no jobs table): fetched, written, stored, acknowledged. */
  | { readonly kind: 'untracked' }
  /** A job's message, not counted and not known to be stored: fetched, stored (the first delivery to store wins), counted. */
  | { readonly kind: 'fresh' }
  /** A job's message an earlier delivery stored and did not count: what it stored is counted; nothing is fetched. */
  | { readonly kind: 'adopt'; readonly stored: StoredMessage }
  /**
   * A job's message counted already: its recorded continuation is sent again, and if its shard
   * has every URL it expects, the shard's (and the job's) completion is made again; nothing else.
   */
  | { readonly kind: 'replay'; readonly handedOn: readonly ContinuedUrl[]; readonly shardFinished: boolean };

/** One SQS record on its way to being acknowledged: its URLs' results are written as they finish. */
interface RecordProgress {
  readonly record: SQSRecord;
  readonly origin: ResultOrigin;
  readonly message: Outcome<ParsedMessage, string>;
  path: RecordPath;
  /** URLs the deadline cut off: their index in the message and the attempts they have spent. */
  readonly cutOff: { readonly index: number; readonly result: FetchResult }[];
  /** What this delivery's own records contribute to their job, tallied as they are written. */
  readonly tally: JobTally;
  /** Writes not yet settled, and who waits for them to reach zero. */
  writing: number;
  allWritten?: () => void;
  writeError?: Error;
}

/** One URL of a record, as the engine fetches it. */
interface RecordUrl {
  readonly request: FetchRequest;
  readonly index: number;
  readonly progress: RecordProgress;
}

/** Parses a record into its progress: a job's message is `fresh` when jobs are counted here, else `untracked`. */
function recordProgress(record: SQSRecord, countsJobs: boolean): RecordProgress {
  const problem = recordProblem(record);
  const endOf = problem === undefined ? jobEndOf(record.body) : undefined;
  const message = problem === undefined ? (endOf === undefined ? parseQueueMessage(record.body) : success(END_MESSAGE)) : failure(problem);
  const job = message.ok ? message.value.job : undefined;
  let path: RecordPath;
  if (endOf !== undefined) path = { kind: 'end', jobId: endOf };
  else if (!message.ok) path = { kind: 'invalid', problem: message.error };
  else path = job && countsJobs ? { kind: 'fresh' } : { kind: 'untracked' };
  return {
    record,
    origin: { messageId: record.messageId, ...(job ? { job } : {}) },
    message,
    path,
    writing: 0,
    cutOff: [],
    tally: new JobTally(),
  };
}

/** A job-end message as a message with nothing to fetch. */
const END_MESSAGE: ParsedMessage = { requests: [], options: {}, hop: 0 };

/** Whether SQS had delivered the record before (a redelivery or a duplicate). */
function isRedelivery(record: SQSRecord): boolean {
  return Number(record.attributes?.ApproximateReceiveCount ?? 1) > 1;
}

/** The record of a URL that spent its attempts in earlier invocations. */
function exhausted(request: FetchRequest): FetchResult {
  return invalidResult(request, new FetchError(ErrorCode.ATTEMPTS_EXHAUSTED,
    `no attempts left after ${request.priorAttempts ?? 0} in earlier invocations`));
}

export { exhausted, isRedelivery, recordProgress };
export type { RecordPath, RecordProgress, RecordUrl };
