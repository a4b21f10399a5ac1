import type { FetchEngine } from './fetch-engine.ts';
import type { FetchRequest, FetchResult } from './fetch-types.ts';

/** An item of `fetchEach` with its result. */
interface Fetched<T> {
  readonly item: T;
  readonly result: FetchResult;
}

/**
 * The one scheduler behind `fetchAll` and `fetchEach`: pulls an item only when the engine may
 * start another URL (a URL waiting for its host or a retry holds no permit, so another starts in
 * its place), and yields results as they complete. New URLs start only while the caller keeps
 * pulling; stopping early waits for the fetches in flight.
 */
async function* schedule<T, R>(
  engine: Pick<FetchEngine, 'fetch' | 'mayStartAnother' | 'watchWaiting'>,
  items: Iterable<T> | AsyncIterable<T>,
  requestOf: (item: T) => FetchRequest,
  output: (item: T, result: FetchResult) => R,
  signal: AbortSignal | undefined,
): AsyncGenerator<R> {
  const done: R[] = [];
  let wake: (() => void) | undefined;
  let pending = 0;
  const waitForResult = () => new Promise<void>((resolve) => { wake = resolve; });
  const source = Symbol.asyncIterator in items
    ? items[Symbol.asyncIterator]()
    : items[Symbol.iterator]();
  const start = (item: T) => {
    pending += 1;
    void engine.fetch(requestOf(item), signal).then((result) => {
      done.push(output(item, result));
      pending -= 1;
      wake?.();
    });
  };
  // A URL waiting for its host (or a retry) holds no permit: another may start in its place.
  const unwatch = engine.watchWaiting(() => wake?.());
  let exhausted = false;
  try {
    while (!exhausted || pending > 0) {
      while (!exhausted && engine.mayStartAnother(pending)) {
        const next = await source.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        start(next.value);
      }
      if (done.length === 0 && pending > 0) await waitForResult();
      wake = undefined;
      while (done.length > 0) yield done.shift()!;
    }
  } finally {
    unwatch();
    while (pending > 0) {
      await waitForResult();
      done.length = 0;
    }
  }
}

export { schedule };
export type { Fetched };
