import type { SQSRecord } from 'aws-lambda';
import { ErrorCode, FetchError } from '../core/errors.ts';
import { failure, type Outcome } from '../core/outcome.ts';
import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import { invalidResult } from '../input/invalid-result.ts';
import type { ContinuedUrl } from '../jobs/job-store.ts';
import { JobTally } from '../jobs/job-tally.ts';
import { parseQueueMessage, type ParsedMessage } from '../schemas/queue-message.ts';
import type { ResultOrigin } from '../sinks/result-sink.ts';
import { recordProblem } from './sqs-event-shape.ts';

/** One SQS record on its way to being acknowledged: its URLs' results are written as they finish. */
interface RecordProgress {
  readonly record: SQSRecord;
  readonly origin: ResultOrigin;
  readonly message: Outcome<ParsedMessage, string>;
  /** URLs the deadline cut off: their index in the message and the attempts they have spent. */
  readonly cutOff: { readonly index: number; readonly result: FetchResult }[];
  /** The message's contribution to its job, when it belongs to one (and jobs are counted). */
  readonly tally: JobTally | undefined;
  /** Set when the job had counted this message already: what its continuation carried. */
  replay?: readonly ContinuedUrl[];
  /**
   * With `replay`: the counted delivery's results are not stored (it died, or its write failed,
   * after counting). This delivery fetches the URLs it did not hand on and stores them, counting
   * nothing: every URL of the message ends with one record.
   */
  refill?: boolean;
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

/** Parses a record into its progress; a message that belongs to a job gets a tally when jobs are counted. */
function recordProgress(record: SQSRecord, countsJobs: boolean): RecordProgress {
  const problem = recordProblem(record);
  const message = problem === undefined ? parseQueueMessage(record.body) : failure(problem);
  const job = message.ok ? message.value.job : undefined;
  return {
    record,
    origin: {
      messageId: record.messageId,
      ...(job ? { job } : {}),
      ...(isRedelivery(record) ? { redelivered: true } : {}),
    },
    message,
    writing: 0,
    cutOff: [],
    tally: job && countsJobs ? new JobTally() : undefined,
  };
}

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
export type { RecordProgress, RecordUrl };
