import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { eventBridgeAnnouncer } from '../../lib/jobs/announce-job.ts';
import type { JobSummary } from '../../lib/jobs/job-summary.ts';
import { loadOnce } from '../../lib/core/load-once.ts';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createFetchEngine } from '../../lib/engine/fetch-engine.ts';
import type { FetchEngine } from '../../lib/engine/fetch-engine.ts';
import type { Continuation } from '../../lib/queue/continuation.ts';
import type { BatchReport } from '../../lib/handler/batch-report.ts';
import { processSqsBatch, type EarlierRecords } from '../../lib/handler/process-sqs-batch.ts';
import type { ConsumerConfig } from '../../lib/config/env-config.ts';
import { recordBatchMetrics } from '../../lib/metrics/batch-metrics.ts';
import { LogSink } from '../../lib/sinks/log-sink.ts';
import type { ResultSink } from '../../lib/sinks/result-sink.ts';

interface FetchBatchDependencies {
  readonly config: ConsumerConfig;
  readonly logger: Logger;
  /** EMF metrics; the local run passes none (its summary reports the same figures). */
  readonly metrics?: Metrics;
  /** The local run shares its engine (and closes it); Lambda builds one per cold start. */
  readonly engine?: FetchEngine;
  /** Aborts every invocation at once (the local run's Ctrl-C or --deadline). */
  readonly signal?: AbortSignal;
  /** See BatchDependencies.abortedIsFinal: true only where nothing could carry the work on. */
  readonly abortedIsFinal?: boolean;
  /** Created once per cold start by default; injected by the local run and tests. */
  readonly sqs?: SQSClient;
  readonly s3?: S3Client;
  readonly sink?: ResultSink;
  readonly dynamodb?: DynamoDBClient;
  /**
   * Where a finished job is announced: EventBridge by default (the worker, outside AWS, prints a
   * line). Its summary objects are written to the results bucket either way.
   */
  readonly announceJob?: (summary: JobSummary) => Promise<void>;
  /**
   * Whether middy fails the invocation 5 ms before the context's remaining time runs out (its
   * `timeoutEarlyInMillis`). On Lambda the invocation would end there anyway; the worker, whose
   * "timeout" is only a budget, turns it off so a batch finishing late is not an error.
   * @default true
   */
  readonly timeoutEarly?: boolean;
  /** The earlier run's records, when the local run compares with one (`run --since`). */
  readonly earlier?: EarlierRecords;
}

/**
 * Builds the SQS consumer: everything expensive (connection pool, SDK clients, sink) is created
 * here, once per cold start, and shared by every invocation of the returned handler.
 *
 * Each AWS SDK client is imported only where the configuration uses it (a bundle chunk of its
 * own, infra/bundling.ts): DynamoDB with a jobs table and S3 with a results bucket, here at cold
 * start; SQS only when a batch is first cut off and must continue, EventBridge only when a job
 * first finishes — most invocations need neither, and neither is paid for at cold start.
 */
async function createFetchBatchHandler(deps: FetchBatchDependencies) {
  const { config, logger, metrics } = deps;
  /** Longest delay a Node timer accepts (about 24.8 days). */
  const MAX_TIMER_MS = 2 ** 31 - 1;
  // The state table (jobs) also shares hosts' rate limits and robots.txt across environments.
  const state = config.jobs && {
    table: config.jobs.table,
    client: deps.dynamodb ?? new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({}),
  };
  const engine = deps.engine ?? createFetchEngine(state
    ? { ...config.engine, ...(await import('../../lib/politeness/shared-politeness.ts')).sharedPoliteness(state.client, state.table) }
    : config.engine);
  const continuationConfig = config.continuation;
  const continuation = continuationConfig
    ? lazyContinuation(continuationConfig.maxHops, async () => {
      const { sqsContinuation } = await import('../../lib/queue/sqs-continuation.ts');
      const sqs = deps.sqs ?? new (await import('@aws-sdk/client-sqs')).SQSClient({});
      return sqsContinuation(sqs, continuationConfig.queueUrl, continuationConfig.maxHops);
    })
    : undefined;
  const results = config.results && {
    ...config.results,
    s3: deps.s3 ?? new (await import('@aws-sdk/client-s3')).S3Client({}),
  };
  const sink = deps.sink ?? (results
    ? new (await import('../../lib/sinks/s3-sink.ts')).S3Sink({ client: results.s3, bucket: results.bucket, prefix: results.prefix, storeBodies: results.storeBodies })
    : new LogSink(logger));
  const jobs = state ? new (await import('../../lib/jobs/job-store.ts')).JobStore(state.client, state.table, undefined, config.jobs?.retentionDays) : undefined;
  const announceJob = deps.announceJob ?? eventBridgeAnnouncer(config.jobs?.eventBusName);
  // A job's end (its objects, then its event) is written once, under a lease in its header.
  // The lease is the invocation's time left and a margin: it never outlives the visibility
  // timeout (6 × the function's timeout) that brings the message back.
  const endJob = async (jobId: string, leaseMs: number) => {
    const [{ finishJob }, { endJob: end }] = await Promise.all([import('../../lib/jobs/job-completion.ts'), import('../../lib/jobs/job-end.ts')]);
    const ended = await end(jobId, { store: jobs!, leaseMs, finish: (summary) => finishJob(summary, { ...(results ? { s3: results.s3, results } : {}), announce: announceJob }) });
    if (ended.outcome === 'ended') logger.info('job finished', { job: ended.summary });
    if (ended.outcome === 'gone') logger.warn('a job-end message for a job that no longer exists; nothing to do', { jobId });
    return ended;
  };
  const LEASE_MARGIN_MS = 60_000;
  // The consumer whose count ended a job asks for its end in a message of its own when it can
  // (the end reads every records object: a large job's would not fit in what is left of this
  // invocation, and SQS delivers the message again until the end lands); else it writes it here.
  const onJobCompleted = async (summary: JobSummary, leaseMs: number): Promise<JobSummary | undefined> => {
    if (continuation) {
      const { jobEndBody } = await import('../../lib/schemas/job-end-message.ts');
      await continuation.send(jobEndBody(summary.jobId));
      return undefined;
    }
    const ended = await endJob(summary.jobId, leaseMs);
    // Another caller's lease: this record is delivered again, and asks again, until the end lands.
    if (ended.outcome === 'busy') throw new Error(`job ${summary.jobId}'s end is being written by another consumer`);
    return ended.outcome === 'ended' ? ended.summary : undefined;
  };

  async function fetchBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    // Stop starting fetches, and abort those in flight, early enough to write results and
    // continuations and return before Lambda's own timeout (which would return the whole batch).
    const budgetMs = Math.max(0, context.getRemainingTimeInMillis() - config.deadlineMarginMs);
    const deadline = AbortSignal.timeout(Math.min(budgetMs, MAX_TIMER_MS));
    const leaseMs = context.getRemainingTimeInMillis() + LEASE_MARGIN_MS;
    return processSqsBatch(event, {
      engine,
      sink,
      signal: deps.signal ? AbortSignal.any([deadline, deps.signal]) : deadline,
      continuation,
      maxAttemptsPerUrl: config.maxAttemptsPerUrl,
      abortedIsFinal: deps.abortedIsFinal ?? false,
      logger,
      ...(deps.earlier ? { earlier: deps.earlier } : {}),
      ...(jobs ? { jobs, onJobCompleted: (summary: JobSummary) => onJobCompleted(summary, leaseMs), endJob: (jobId: string) => endJob(jobId, leaseMs) } : {}),
      ...(metrics ? { onReport: (report: BatchReport) => recordBatchMetrics(metrics, report) } : {}),
    });
  }

  const handler = middy(fetchBatch, deps.timeoutEarly === false ? { timeoutEarlyInMillis: 0 } : {}).use(injectLambdaContext(logger));
  return metrics ? handler.use(logMetrics(metrics, { captureColdStartMetric: true })) : handler;
}

/** A continuation whose SQS client and code are loaded when the first continuation is sent. */
function lazyContinuation(maxHops: number, load: () => Promise<Continuation>): Continuation {
  const loaded = loadOnce(load);
  return { maxHops, send: async (body) => (await loaded()).send(body) };
}

export { createFetchBatchHandler };
export type { FetchBatchDependencies };
