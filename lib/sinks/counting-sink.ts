import type { RunStats } from '../stats/run-stats.ts';
import type { ResultSink } from './result-sink.ts';
import { tappingSink } from './tapping-sink.ts';

/** Records every result in `stats` on its way to `inner` (the CLI's summaries). */
function countingSink(inner: ResultSink, stats: RunStats): ResultSink {
  return tappingSink(inner, (results) => {
    for (const result of results) stats.record(result);
  });
}

export { countingSink };
