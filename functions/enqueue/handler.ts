import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  createFetchEngine,
  enqueueRequests,
  linesOf,
  parseEnqueueEvent,
  SqsSender,
  type EnqueueConfig,
  type EnqueueSummary,
  type FetchEngine,
} from '../../lib/index.ts';

interface EnqueueDependencies {
  readonly config: EnqueueConfig;
  readonly logger: Logger;
  readonly sqs?: SQSClient;
  readonly s3?: S3Client;
}

/**
 * Builds the enqueuer, invoked by EventBridge Scheduler or directly: reads one source (inline,
 * S3 object, sitemap), sends its URLs as messages, and returns counts. A bad event is an error
 * (the scheduler retries, then dead-letters it); invalid URLs are counted, not sent.
 */
function createEnqueueHandler(deps: EnqueueDependencies) {
  const { config, logger } = deps;
  const sqs = deps.sqs ?? new SQSClient({});
  let s3: S3Client | undefined = deps.s3;
  let sitemapEngine: FetchEngine | undefined;
  const clients = {
    s3: () => (s3 ??= new S3Client({})),
    sitemapEngine: () => (sitemapEngine ??= createFetchEngine({
      bodyMode: 'keep', maxBodyBytes: 50 * 1024 * 1024, concurrency: 4, perOrigin: 2, allowNetworks: config.allowNetworks,
    })),
  };

  async function enqueue(event: unknown): Promise<EnqueueSummary> {
    const parsed = parseEnqueueEvent(event);
    if ('error' in parsed) throw new TypeError(parsed.error);
    const sender = new SqsSender({ client: sqs, queueUrl: config.queueUrl });
    const summary = await enqueueRequests(linesOf(parsed, clients), sender, {
      maxUrls: parsed.messageUrls ?? config.messageUrls,
      ...(parsed.options ? { options: parsed.options } : {}),
    });
    logger.info('enqueued', { ...summary });
    return summary;
  }

  return middy(enqueue).use(injectLambdaContext(logger));
}

export { createEnqueueHandler };
