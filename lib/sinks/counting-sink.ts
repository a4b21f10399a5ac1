import type { FetchResult } from '../engine/fetch-types.ts';
import type { RunStats } from '../stats/run-stats.ts';
import type { ResultOrigin, ResultSink } from './result-sink.ts';

/** Records every result in `stats` on its way to `inner` (the CLI's summaries). */
function countingSink(inner: ResultSink, stats: RunStats): ResultSink {
  return {
    write(results: readonly FetchResult[], origin?: ResultOrigin) {
      for (const result of results) stats.record(result);
      return inner.write(results, origin);
    },
    complete: inner.complete && ((origin) => inner.complete!(origin)),
    discard: inner.discard && ((origin) => inner.discard!(origin)),
  };
}

export { countingSink };
