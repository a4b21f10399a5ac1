import type { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { createFetchBatchHandler } from '../../functions/fetch-batch/handler.ts';
import { readConsumerConfig, type FetchEngine, type ResultSink } from '../../lib/index.ts';
import { parseRequestLine, type ParsedLine } from '../../lib/input/parse-request-line.ts';
import { readLineChunks } from '../../lib/input/read-lines.ts';
import { runQueuePipeline, type PipelineProgress } from '../../lib/queue/queue-pipeline.ts';
import { startEmbeddedSqs } from './embedded-sqs.ts';
import { localContext } from './local-context.ts';

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
  /** Turns input lines into skips before they are queued (--resume). */
  readonly filter?: (line: ParsedLine) => ParsedLine;
}

/**
 * The local run's path, input lines to result records: an embedded SQS-protocol server on
 * 127.0.0.1, the producer splitting lines into messages, and pollers handing SQS events to the
 * fetch-batch Lambda handler itself. Used by `batchfetch run` and `npm run bench:pipeline`.
 */
async function runLocalPipeline(options: LocalPipelineOptions): Promise<void> {
  const sqs = await startEmbeddedSqs();
  try {
    const { queueUrl, queueArn } = await sqs.createQueue(`batchfetch-local-${process.pid}`, { VisibilityTimeout: '900' });
    // Powertools writes WARN lines to stderr; results go to the sink; no EMF (the run's summary
    // reports the same figures).
    const fetchBatch = await createFetchBatchHandler({
      config: LOCAL_CONSUMER_CONFIG,
      logger: options.logger ?? new Logger({ serviceName: 'batchfetch-local', logLevel: 'WARN' }),
      engine: options.engine,
      sink: options.sink,
      signal: options.signal,
      abortedIsFinal: true,
    });
    await runQueuePipeline({
      client: sqs.client,
      queueUrl,
      queueArn,
      lines: (async function* parsed() {
        const filter = options.filter;
        for await (const lines of readLineChunks(options.input)) {
          yield filter ? lines.map((line) => filter(parseRequestLine(line))) : lines.map(parseRequestLine);
        }
      })(),
      handler: (event) => fetchBatch(event, localContext()),
      sink: options.sink,
      split: { maxUrls: options.messageUrls },
      pollers: options.pollers,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  } finally {
    await sqs.stop();
  }
}

export { runLocalPipeline };
