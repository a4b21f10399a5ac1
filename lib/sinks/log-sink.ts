import type { FetchResult } from '../engine/fetch-types.ts';
import type { ResultOrigin, ResultSink } from './result-sink.ts';

interface InfoLogger {
  info(message: string, fields: Record<string, unknown>): void;
}

/** The default sink: one structured log line per result (CloudWatch Logs keeps them). */
class LogSink implements ResultSink {
  readonly #logger: InfoLogger;

  constructor(logger: InfoLogger) {
    this.#logger = logger;
  }

  async write(results: readonly FetchResult[], origin?: ResultOrigin): Promise<void> {
    for (const result of results) this.#logger.info('fetch result', { result, messageId: origin?.messageId });
  }
}

export { LogSink };
