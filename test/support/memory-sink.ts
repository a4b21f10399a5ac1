import type { FetchResult } from '../../lib/index.ts';
import type { ResultSink } from '../../lib/sinks/result-sink.ts';

/** Keeps every record written, for assertions. */
class MemorySink implements ResultSink {
  readonly results: FetchResult[] = [];

  async write(results: readonly FetchResult[]): Promise<void> {
    this.results.push(...results);
  }
}

export { MemorySink };
