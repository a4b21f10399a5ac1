import type { FetchResult } from '../engine/fetch-types.ts';
import { withWrite, type ResultOrigin, type ResultSink } from './result-sink.ts';

/**
 * `inner`, with `tap` shown every batch of results before `inner` writes it (counting, a change
 * report). A tap that returns a promise is waited for; one that returns nothing costs no extra
 * step on the local run's hot path.
 */
function tappingSink(inner: ResultSink, tap: (results: readonly FetchResult[]) => Promise<void> | void): ResultSink {
  return withWrite(inner, (results: readonly FetchResult[], origin?: ResultOrigin) => {
    const tapped = tap(results);
    return tapped ? tapped.then(() => inner.write(results, origin)) : inner.write(results, origin);
  });
}

export { tappingSink };
