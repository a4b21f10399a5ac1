import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { writeChangesObject } from './job-changes.ts';
import { jobResultsPrefix } from './job-ref.ts';
import { jobResultsAt, recordObjects } from './job-results.ts';
import type { JobSummary } from './job-summary.ts';

/** The EventBridge event of a finished job: `source` and `detail-type` to match in a rule. */
const JOB_EVENT_SOURCE = 'batchfetch';
const JOB_COMPLETED_DETAIL_TYPE = 'Batchfetch Job Completed';

/**
 * Sends the job's summary to an event bus (the default one unless named), so users can chain
 * work on completion (an EventBridge rule on source `batchfetch`, detail-type
 * `Batchfetch Job Completed`; `detail.status` is `completed` or `failed`).
 */
async function publishJobCompleted(client: EventBridgeClient, summary: JobSummary, eventBusName?: string): Promise<void> {
  const { FailedEntryCount, Entries } = await client.send(new PutEventsCommand({
    Entries: [{ Source: JOB_EVENT_SOURCE, DetailType: JOB_COMPLETED_DETAIL_TYPE, Detail: JSON.stringify(summary), ...(eventBusName ? { EventBusName: eventBusName } : {}) }],
  }));
  if (FailedEntryCount) throw new Error(`EventBridge refused the completion event: ${Entries?.[0]?.ErrorCode ?? 'unknown error'}`);
}

/**
 * Writes `<jobPrefix>_summary.json` (the summary) and `<jobPrefix>_manifest.json` (the job's
 * result objects, as Step Functions' ResultWriter writes a manifest: one per counted message,
 * empty for a message whose URLs were all handed on) next to the job's results, and for a job
 * that compared, its change report in one object (`_changes.jsonl`). Called once every counted
 * message is stored (a message is stored before it is counted), so they describe exactly the
 * records the job's counts count.
 */
async function writeJobSummary(client: S3Client, bucket: string, jobPrefix: string, summary: JobSummary): Promise<void> {
  const objects: { key: string; size: number }[] = [];
  for await (const object of recordObjects(client, { bucket, jobPrefix })) objects.push(object);
  if (summary.changes) await writeChangesObject(client, { bucket, jobPrefix }, objects);
  const put = (name: string, body: unknown) => client.send(new PutObjectCommand({
    Bucket: bucket, Key: `${jobPrefix}${name}`, Body: `${JSON.stringify(body, null, 2)}\n`, ContentType: 'application/json',
  }));
  await put('_manifest.json', { jobId: summary.jobId, bucket, prefix: jobPrefix, resultObjects: objects });
  await put('_summary.json', summary);
}

/**
 * What happens once a job ends, wherever its end was detected (the consumer whose count ended
 * it, a consumer that found a counted shard finished, the enqueuer when every message was
 * counted before it finished): its summary, manifest and change report are written beside its
 * results (when it has a results location and an S3 client is given), then it is announced.
 * The event follows the objects: a subscriber that reads them on the event finds them.
 */
async function finishJob(summary: JobSummary, deps: {
  readonly s3?: S3Client;
  /** Where the job's records are when the job does not say (enqueued without a results bucket, stored by a consumer with one). */
  readonly results?: { readonly bucket: string; readonly prefix: string };
  readonly announce?: (summary: JobSummary) => Promise<void>;
}): Promise<void> {
  const at = jobResultsAt(summary) ?? (deps.results && { bucket: deps.results.bucket, jobPrefix: jobResultsPrefix(deps.results.prefix, summary.jobId) });
  if (at && deps.s3) await writeJobSummary(deps.s3, at.bucket, at.jobPrefix, summary);
  await deps.announce?.(summary);
}

export { finishJob, JOB_COMPLETED_DETAIL_TYPE, JOB_EVENT_SOURCE, publishJobCompleted, writeJobSummary };
