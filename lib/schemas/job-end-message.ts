import { isJobId } from '../jobs/job-ref.ts';

/*
 * The message that asks for a job's end to be written (`{"jobEnd": {"id": "<job id>"}}`), sent to
 * the fetch queue by the consumer whose count ended the job: the end (reading every records
 * object of a large job) then runs in an invocation of its own, with all of its time, and SQS
 * delivers it again until it lands (lib/jobs/job-end.ts).
 */

function jobEndBody(jobId: string): string {
  return JSON.stringify({ jobEnd: { id: jobId } });
}

/** The job id of a job-end message, or undefined when the body is not one. */
function jobEndOf(body: string): string | undefined {
  if (!body.startsWith('{"jobEnd"')) return undefined;
  try {
    const id: unknown = (JSON.parse(body) as { jobEnd?: { id?: unknown } }).jobEnd?.id;
    return typeof id === 'string' && isJobId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export { jobEndBody, jobEndOf };
