import { loadOnce } from '../core/load-once.ts';
import type { JobSummary } from './job-summary.ts';

/**
 * The default announcement of a finished job: an EventBridge event on `eventBusName` (the default
 * bus unless named). The client and the event code are imported when the first job finishes (each
 * a bundle chunk of its own): most invocations never need them.
 */
function eventBridgeAnnouncer(eventBusName: string | undefined): (summary: JobSummary) => Promise<void> {
  const client = loadOnce(async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient({}));
  return async (summary) => (await import('./job-completion.ts')).publishJobCompleted(await client(), summary, eventBusName);
}

export { eventBridgeAnnouncer };
