import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  createFetchEngine,
  LogSink,
  processSqsBatch,
  recordBatchMetrics,
  S3Sink,
  sqsContinuation,
  type ConsumerConfig,
  type ResultSink,
} from '../../lib/index.ts';

interface FetchBatchDependencies {
  readonly config: ConsumerConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Created once per cold start by default; injected by the local run and tests. */
  readonly sqs?: SQSClient;
  readonly s3?: S3Client;
  readonly sink?: ResultSink;
}

/**
 * Builds the SQS consumer: everything expensive (connection pool, SDK clients, sink) is created
 * here, once per cold start, and shared by every invocation of the returned handler.
 */
function createFetchBatchHandler(deps: FetchBatchDependencies) {
  const { config, logger, metrics } = deps;
  const engine = createFetchEngine(config.engine);
  const continuation = config.continuationQueueUrl
    ? sqsContinuation(deps.sqs ?? new SQSClient({}), config.continuationQueueUrl, config.maxHops)
    : undefined;
  const sink = deps.sink ?? (config.resultsBucket
    ? new S3Sink({ client: deps.s3 ?? new S3Client({}), bucket: config.resultsBucket, prefix: config.resultsPrefix, storeBodies: config.storeBodies })
    : new LogSink(logger));

  async function fetchBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    // Stop starting fetches, and abort those in flight, early enough to write results and
    // continuations and return before Lambda's own timeout (which would return the whole batch).
    const budgetMs = Math.max(0, context.getRemainingTimeInMillis() - config.deadlineMarginMs);
    return processSqsBatch(event, {
      engine,
      sink,
      signal: AbortSignal.timeout(budgetMs),
      continuation,
      maxAttemptsPerUrl: config.maxAttemptsPerUrl,
      logger,
      onReport: (report) => recordBatchMetrics(metrics, report),
    });
  }

  return middy(fetchBatch)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

export { createFetchBatchHandler };
export type { FetchBatchDependencies };
