import type { SQSEvent } from 'aws-lambda';
import { InvalidEventError } from '../core/errors.ts';

/**
 * Checks the shape of what Lambda's SQS event source delivers (`{ Records: [{ messageId, body,
 * ... }] }`) before any work, so a direct invocation with `{}`, `null` or another service's event
 * gets one clear error instead of a `TypeError`. Only what makes a record impossible to fail on
 * its own refuses the whole batch: a record without a `messageId` could only be reported as
 * `{ itemIdentifier: undefined }`, which Lambda reads as a failure of the whole batch anyway
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). A record with
 * an id but a wrong body or source fails alone (`recordProblem`).
 */
function assertSqsEvent(event: unknown): asserts event is SQSEvent {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records)) {
    throw new InvalidEventError(`fetch-batch expects an SQS event ({"Records": [...]}), got ${describe(event)}`);
  }
  records.forEach((record: unknown, index) => {
    const { messageId } = (record ?? {}) as Record<string, unknown>;
    if (typeof messageId !== 'string' || messageId === '') {
      throw new InvalidEventError(`fetch-batch expects SQS records, each with a messageId; record ${index} has none, so it cannot be failed on its own: the whole batch is refused`);
    }
  });
}

/** Why a record (with a messageId) is no SQS message to process, or undefined when it is one. */
function recordProblem(record: unknown): string | undefined {
  const { body, eventSource } = record as Record<string, unknown>;
  if (eventSource !== undefined && eventSource !== 'aws:sqs') return `record is not from SQS (eventSource ${typeof eventSource === 'string' ? eventSource.slice(0, 40) : describe(eventSource)})`;
  if (typeof body !== 'string') return `record has no string body (${body === null ? 'null' : typeof body})`;
  return undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export { assertSqsEvent, recordProblem };
