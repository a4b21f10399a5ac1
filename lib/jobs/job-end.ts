import { randomUUID } from 'node:crypto';
import type { JobStore } from './job-store.ts';
import type { JobSummary } from './job-summary.ts';

/**
 * How long a caller may take to write a job's end before another may, when it does not say
 * (`leaseMs`: a Lambda invocation passes its time left and a margin, so a lease never outlives
 * the visibility timeout that brings its message back): Lambda's longest invocation (15 minutes,
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html). A caller that fails
 * gives the lease back at once; only one that dies holds it this long.
 */
const END_LEASE_MS = 15 * 60 * 1000;

type JobEndOutcome =
  /** Written and announced by this call. */
  | { readonly outcome: 'ended'; readonly summary: JobSummary }
  /** Written and announced before. */
  | { readonly outcome: 'announced' }
  /** Another caller holds the lease: try again later. */
  | { readonly outcome: 'busy' }
  /** No such job (expired or deleted): nothing to end. */
  | { readonly outcome: 'gone' };

/**
 * Writes an ended job's end — `finish`: its summary, manifest and change report, then its event
 * (job-completion.ts `finishJob`) — once: under a lease in the job's header (`claimEnd`), marked
 * `announcedAt` when done. A failure of `finish` gives the lease back and throws: the caller's
 * message is delivered again and the end is tried again until it lands. The objects are written
 * whole each try; the event goes out after them, so a caller that dies between the event and the
 * mark (a narrow window) is the one way a subscriber sees an event twice (same `jobId`).
 */
async function endJob(
  jobId: string,
  deps: {
    readonly store: Pick<JobStore, 'claimEnd' | 'releaseEnd' | 'endAnnounced' | 'summary'>;
    readonly finish: (summary: JobSummary) => Promise<void>;
    /** How long this caller can take at most (a Lambda invocation's time left, and a margin). @default END_LEASE_MS */
    readonly leaseMs?: number;
  },
): Promise<JobEndOutcome> {
  const { store, finish } = deps;
  const token = randomUUID();
  const claim = await store.claimEnd(jobId, token, deps.leaseMs ?? END_LEASE_MS);
  if (claim !== 'claimed') return { outcome: claim };
  try {
    const summary = (await store.summary(jobId))!;
    await finish(summary);
    await store.endAnnounced(jobId, token);
    return { outcome: 'ended', summary };
  } catch (error) {
    await store.releaseEnd(jobId, token).catch(() => undefined);
    throw error;
  }
}

export { endJob };
export type { JobEndOutcome };
