import type { S3Client } from '@aws-sdk/client-s3';
import { failure, success, type Outcome } from '../core/outcome.ts';
import { MissingPartsWriter } from '../jobs/job-changes.ts';
import { jobRecordLines, jobResultsAt } from '../jobs/job-results.ts';
import type { JobStore } from '../jobs/job-store.ts';
import type { Comparison } from './enqueue-job.ts';

/** What a job is asked to compare with: a named earlier job, or its schedule's previous one. */
type CompareRequest =
  | { readonly sinceJobId: string }
  | { readonly schedule: string };

/**
 * The comparison of a new job (its records in `results`) with an earlier job: the one named, or
 * the newest finished job of the same schedule (none yet: every URL is `new`). The earlier job
 * must have finished (completed or failed: every URL has its final record) and have stored its
 * records in S3; the change report goes beside the new job's records. A reason, not a throw,
 * for anything the caller asked wrongly.
 */
async function compareWithEarlier(
  request: CompareRequest,
  deps: { readonly store: JobStore; readonly s3: S3Client; readonly jobId: string; readonly results: string | undefined; readonly spillDir: string },
): Promise<Outcome<{ readonly comparison: Comparison; readonly sinceJobId?: string }, string>> {
  const own = jobResultsAt({ jobId: deps.jobId, ...(deps.results ? { results: deps.results } : {}) });
  if (!own) return failure('comparing with an earlier job needs a results bucket: the earlier records are read from it and the change report is written to it');
  const missing = new MissingPartsWriter(deps.s3, own);
  const earlierJob = 'sinceJobId' in request ? await deps.store.summary(request.sinceJobId) : await deps.store.latestFinished(request.schedule);
  if (earlierJob === undefined) {
    if ('sinceJobId' in request) return failure(`no job '${request.sinceJobId}' to compare with in the jobs table`);
    return success({ comparison: { spillDir: deps.spillDir, missing } });
  }
  if (earlierJob.jobId === deps.jobId) {
    // A schedule's firing run again (a retry) after its job finished: it is a duplicate, which
    // enqueuing finds (nothing is sent, the end is asked for again if it is due).
    if (!('sinceJobId' in request)) return success({ comparison: { spillDir: deps.spillDir, missing } });
    return failure(`job ${deps.jobId} cannot compare with itself`);
  }
  if (earlierJob.status !== 'completed' && earlierJob.status !== 'failed') {
    return failure(`job ${earlierJob.jobId} is still ${earlierJob.status}: a job compares with a finished one`);
  }
  const earlier = jobResultsAt(earlierJob);
  if (!earlier) return failure(`job ${earlierJob.jobId} stored no records in S3 (no results bucket), so there is nothing to compare with`);
  return success({ comparison: { earlier: jobRecordLines(deps.s3, earlier), spillDir: deps.spillDir, missing }, sinceJobId: earlierJob.jobId });
}

export { compareWithEarlier };
export type { CompareRequest };
