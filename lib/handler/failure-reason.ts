/**
 * Why a record of an SQS batch was not acknowledged (SQS delivers it again; a message that keeps
 * failing ends in the DLQ). Stable codes: they appear in the log line (`reason`) and as the
 * `Reason` dimension of the `FailedRecordsByReason` metric, and docs/jobs.md lists them.
 */
const FailureReason = {
  /** The record is not a batchfetch message (no body, bad JSON, a wrong field): it fails every delivery. */
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  /** A result record could not be written (the sink failed): URLs of the message already written may be written again. */
  RESULTS_NOT_WRITTEN: 'RESULTS_NOT_WRITTEN',
  /** The message's records object could not be stored, or another delivery's could not be read. */
  RESULTS_NOT_STORED: 'RESULTS_NOT_STORED',
  /** The job could not be updated (the count failed): the stored records are counted by a later delivery. */
  JOB_NOT_COUNTED: 'JOB_NOT_COUNTED',
  /** The URLs handed on could not be sent: a later delivery sends the continuation the job recorded. */
  CONTINUATION_NOT_SENT: 'CONTINUATION_NOT_SENT',
  /** The job this message ended could not be handed to its end (the job-end message not sent): a later delivery asks again. */
  JOB_END_NOT_ASKED: 'JOB_END_NOT_ASKED',
  /** A job-end message whose end could not be written or announced: its next delivery tries again. */
  JOB_END_FAILED: 'JOB_END_FAILED',
  /** A job-end message whose job's end another consumer is writing: delivered again later. */
  JOB_END_IN_PROGRESS: 'JOB_END_IN_PROGRESS',
} as const;

type FailureReason = typeof FailureReason[keyof typeof FailureReason];

export { FailureReason };
