import type { SQSEvent } from 'aws-lambda';
import { InvalidEventError } from '../core/errors.ts';

/** The event given to the fetch-batch handler is not an SQS event: nothing was fetched. */
/**
 * Checks the shape of what Lambda's SQS event source delivers (`{ Records: [{ messageId, body,
 * ... }] }`) before any work, so a direct invocation with `{}`, `null` or another service's event
 * gets one clear error instead of a `TypeError`, and a record without a `messageId` is never
 * reported as `{ itemIdentifier: undefined }` (which Lambda reads as a failure of the whole batch:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 */
function assertSqsEvent(event: unknown): asserts event is SQSEvent {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records)) {
    throw new InvalidEventError(`fetch-batch expects an SQS event ({"Records": [...]}), got ${describe(event)}`);
  }
  records.forEach((record: unknown, index) => {
    const { messageId, body, eventSource } = (record ?? {}) as Record<string, unknown>;
    if (typeof messageId !== 'string' || messageId === '' || typeof body !== 'string'
      || (eventSource !== undefined && eventSource !== 'aws:sqs')) {
      throw new InvalidEventError(`fetch-batch expects SQS records; record ${index} has ${typeof eventSource === 'string' ? `eventSource ${eventSource}` : 'no string messageId and body'}`);
    }
  });
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export { assertSqsEvent };
