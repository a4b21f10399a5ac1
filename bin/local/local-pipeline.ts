import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig } from '../../lib/config/env-config.ts';
import type { FetchEngine } from '../../lib/engine/fetch-engine.ts';
import type { ResultSink } from '../../lib/sinks/result-sink.ts';
import { parseRequestLine, type ParsedLine } from '../../lib/input/parse-request-line.ts';
import { readLineChunks } from '../../lib/input/read-lines.ts';
import { groupByOrigin } from '../../lib/queue/group-by-origin.ts';
import { runQueuePipeline, type PipelineProgress } from '../../lib/queue/queue-pipeline.ts';
import { MemoryQueue } from '../../lib/queue/memory-queue.ts';
import type { QueueApi } from '../../lib/queue/queue-api.ts';
import { localContext } from './local-context.ts';
import type { EarlierRecords } from '../../lib/handler/process-sqs-batch.ts';

/** A list read from a pipe that pauses this long has its URLs read so far sent on. */
const INPUT_PAUSE_MS = 200;

/** The consumer's settings in a local run: no Lambda timeout, continuations or bucket. */
const LOCAL_CONSUMER_CONFIG = { ...readConsumerConfig({}), deadlineMarginMs: 0 };

interface LocalPipelineOptions {
  readonly input: Readable;
  readonly engine: FetchEngine;
  readonly sink: ResultSink;
  /** The consumer's logger. @default WARN lines on stderr */
  readonly logger?: Logger;
  /** Ctrl-C or --deadline: unfinished URLs end as ABORTED. */
  readonly signal?: AbortSignal;
  readonly messageUrls: number;
  readonly pollers: number;
  readonly onProgress?: (progress: PipelineProgress) => void;
  /** Turns input lines into skips before they are queued (--resume), or classifies refused ones (--since). */
  readonly filter?: (line: ParsedLine) => ParsedLine;
  /** The earlier run's records (--since), for the consumer to attach to each request. */
  readonly earlier?: EarlierRecords;
  /**
   * `memory`: the queue lives in this process (MemoryQueue). `sqs`: an SQS-protocol server
   * (fauxqs) on 127.0.0.1 and the AWS SDK's SQS client, the calls a deployment makes, over HTTP.
   * @default 'memory'
   */
  readonly queue?: LocalQueueKind;
}

type LocalQueueKind = 'memory' | 'sqs';

/** The queue `messages` run through, and how to drop it. Both long-poll, redeliver and count receives as SQS does. */
async function openLocalQueue(kind: LocalQueueKind): Promise<{ queue: QueueApi; queueUrl: string; queueArn: string; close: () => Promise<void> }> {
  const name = `batchfetch-local-${process.pid}`;
  if (kind === 'memory') {
    const queue = new MemoryQueue(name, { visibilityTimeoutS: 900 });
    return { queue, queueUrl: queue.queueUrl, queueArn: queue.queueArn, close: async () => queue.close() };
  }
  // Loaded only for this kind: fauxqs (Fastify) and the SDK are most of a run's start-up CPU.
  const [{ startEmbeddedSqs }, { sqsQueueApi }] = await Promise.all([import('./embedded-sqs.ts'), import('../../lib/queue/sqs-queue-api.ts')]);
  const sqs = await startEmbeddedSqs();
  try {
    const { queueUrl, queueArn } = await sqs.createQueue(name, { VisibilityTimeout: '900' });
    return { queue: sqsQueueApi(sqs.client), queueUrl, queueArn, close: () => sqs.stop() };
  } catch (error) {
    await sqs.stop();
    throw error;
  }
}

/**
 * The local run's path, input lines to result records: the producer splitting lines into SQS
 * messages, an embedded queue (in process, or an SQS-protocol server on 127.0.0.1), and pollers
 * handing SQS events to the fetch-batch Lambda handler itself. Used by `batchfetch run` and
 * `npm run bench:pipeline`.
 */
async function runLocalPipeline(options: LocalPipelineOptions): Promise<void> {
  const { queue, queueUrl, queueArn, close } = await openLocalQueue(options.queue ?? 'memory');
  try {
    // Powertools writes WARN lines to stderr; results go to the sink; no EMF (the run's summary
    // reports the same figures).
    const fetchBatch = await createFetchBatchHandler({
      config: LOCAL_CONSUMER_CONFIG,
      logger: options.logger ?? new Logger({ serviceName: 'batchfetch-local', logLevel: 'WARN' }),
      engine: options.engine,
      sink: options.sink,
      signal: options.signal,
      abortedIsFinal: true,
      ...(options.earlier ? { earlier: options.earlier } : {}),
    });
    await runQueuePipeline({
      queue,
      queueUrl,
      queueArn,
      // One origin's URLs travel together: a consumer fetches a message over one warm connection.
      lines: groupByOrigin((async function* parsed() {
        const filter = options.filter;
        for await (const lines of readLineChunks(options.input)) {
          yield filter ? lines.map((line) => filter(parseRequestLine(line))) : lines.map(parseRequestLine);
        }
      })(), { groupUrls: options.messageUrls, dir: tmpdir(), pauseMs: INPUT_PAUSE_MS }),
      handler: (event) => fetchBatch(event, localContext()),
      sink: options.sink,
      split: { maxUrls: options.messageUrls },
      pollers: options.pollers,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  } finally {
    await close();
  }
}

export { runLocalPipeline };
export type { LocalQueueKind };
