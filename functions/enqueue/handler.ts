import { tmpdir } from 'node:os';
import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadOnce } from '../../lib/core/load-once.ts';
import { sqsQueueApi } from '../../lib/queue/sqs-queue-api.ts';
import { compareWithEarlier } from '../../lib/enqueue/compare-with-earlier.ts';
import { enqueueList, type JobEnqueueSummary } from '../../lib/enqueue/enqueue-job.ts';
import { jobResultsLocation, newJobId } from '../../lib/jobs/job-ref.ts';
import { JobStore } from '../../lib/jobs/job-store.ts';
import type { EnqueueConfig } from '../../lib/config/env-config.ts';
import { createFetchEngine, type FetchEngine } from '../../lib/engine/fetch-engine.ts';
import { parseEnqueueEvent } from '../../lib/enqueue/enqueue-event.ts';
import type { EnqueueSummary } from '../../lib/enqueue/enqueue-requests.ts';
import { linesOf } from '../../lib/enqueue/enqueue-sources.ts';
import { SqsSender } from '../../lib/queue/sqs-sender.ts';
import { InvalidEventError } from '../../lib/core/errors.ts';

interface EnqueueDependencies {
  readonly config: EnqueueConfig;
  readonly logger: Logger;
  readonly sqs?: SQSClient;
  readonly s3?: S3Client;
  readonly dynamodb?: DynamoDBClient;
}

/**
 * Builds the enqueuer, invoked by EventBridge Scheduler or directly: reads one source (inline,
 * S3 object, sitemap), sends its URLs as messages, and returns counts. A bad event is an error
 * (the scheduler retries, then dead-letters it); invalid URLs are counted, not sent. SQS and
 * DynamoDB are used by every invocation; S3 (an S3 source) and EventBridge (an empty job, finished
 * as it is enqueued) are imported at first use, each a bundle chunk of its own.
 */
function createEnqueueHandler(deps: EnqueueDependencies) {
  const { config, logger } = deps;
  const sqs = deps.sqs ?? new SQSClient({});
  let sitemapEngine: FetchEngine | undefined;
  const clients = {
    s3: loadOnce(async () => deps.s3 ?? new (await import('@aws-sdk/client-s3')).S3Client({})),
    sitemapEngine: () => (sitemapEngine ??= createFetchEngine({
      bodyMode: 'keep', maxBodyBytes: 50 * 1024 * 1024, concurrency: 4, perOrigin: 2, allowNetworks: config.allowNetworks,
    })),
  };

  const jobs = config.jobsTable ? new JobStore(deps.dynamodb ?? new DynamoDBClient({}), config.jobsTable, undefined, config.jobRetentionDays) : undefined;

  async function enqueue(event: unknown): Promise<EnqueueSummary | JobEnqueueSummary> {
    const outcome = parseEnqueueEvent(event);
    if (!outcome.ok) throw new InvalidEventError(outcome.error);
    const parsed = outcome.value;
    const sender = new SqsSender({ queue: sqsQueueApi(sqs), queueUrl: config.queueUrl });
    const split = {
      maxUrls: parsed.messageUrls ?? config.messageUrls,
      ...(parsed.options ? { options: parsed.options } : {}),
      // Spilled to /tmp to be grouped by origin only where the construct gives it room (4 GiB).
      ...(config.resultsBucket ? { groupDir: tmpdir() } : {}),
    };
    const jobId = parsed.jobId ?? newJobId();
    const results = config.resultsBucket ? jobResultsLocation(config.resultsBucket, config.resultsPrefix, jobId) : undefined;
    const compareRequest = parsed.sinceJob !== undefined
      ? { sinceJobId: parsed.sinceJob }
      : parsed.schedule !== undefined && parsed.compare !== false ? { schedule: parsed.schedule } : undefined;
    if (compareRequest && !jobs) throw new InvalidEventError('comparing with an earlier job needs the jobs table (JOBS_TABLE)');
    const since = jobs && compareRequest
      ? await compareWithEarlier(compareRequest, { store: jobs, s3: await clients.s3(), jobId, results, spillDir: tmpdir() })
      : undefined;
    if (since && !since.ok) throw new InvalidEventError(since.error);
    const summary = await enqueueList(linesOf(parsed, clients), sender, split, jobs && {
      store: jobs,
      job: {
        jobId,
        ...(parsed.toleratedFailurePercentage === undefined ? {} : { toleratedFailurePercentage: parsed.toleratedFailurePercentage }),
        ...(results ? { results } : {}),
        ...(parsed.schedule === undefined ? {} : { schedule: parsed.schedule }),
        ...(since?.ok ? { compared: true, ...(since.value.sinceJobId ? { sinceJobId: since.value.sinceJobId } : {}) } : {}),
      },
      ...(since?.ok ? { comparison: since.value.comparison } : {}),
    });
    logger.info('duplicate' in summary ? 'job exists; nothing enqueued' : 'enqueued', { ...summary });
    return summary;
  }

  return middy(enqueue).use(injectLambdaContext(logger));
}

export { createEnqueueHandler };
