import type { FetchEngine } from './fetch-engine.ts';
import type { FetchRequest, FetchResult } from './fetch-types.ts';
import { OriginWindow, type Lane } from './origin-window.ts';
import { originOf } from './request-target.ts';

/** An item of `fetchEach` with its result. */
interface Fetched<T> {
  readonly item: T;
  readonly result: FetchResult;
}

/**
 * URLs read ahead of the ones started, grouped by origin (OriginWindow): enough to hold several
 * URLs of each of a thousand origins in a shuffled list, a few hundred KB of requests.
 */
const WINDOW_URLS = 4_096;

/**
 * The one scheduler behind `fetchAll` and `fetchEach`: reads items into a window of at most
 * `WINDOW_URLS`, starts them in the order OriginWindow prefers (warm connections first, spread
 * over origins) whenever the engine may start another URL (a URL waiting for its host or a retry
 * holds no permit, so another starts in its place), and yields results as they complete. New URLs
 * start only while the caller keeps pulling; stopping early waits for the fetches in flight, and
 * items read into the window but not started are dropped with the rest of the input.
 */
async function* schedule<T, R>(
  engine: Pick<FetchEngine, 'fetch' | 'mayStartAnother' | 'watchWaiting' | 'windowEngine'>,
  items: Iterable<T> | AsyncIterable<T>,
  requestOf: (item: T) => FetchRequest,
  output: (item: T, result: FetchResult) => R,
  signal: AbortSignal | undefined,
): AsyncGenerator<R> {
  const done: R[] = [];
  let wake: (() => void) | undefined;
  let pending = 0;
  const window = new OriginWindow<T>(WINDOW_URLS, engine.windowEngine);
  const waitForResult = () => new Promise<void>((resolve) => { wake = resolve; });
  const waitForResultOrHoldEnd = async () => {
    const holdEnd = window.nextHoldEnd();
    if (holdEnd === undefined) return waitForResult();
    const timer = setTimeout(() => wake?.(), Math.max(0, holdEnd - performance.now()));
    try {
      await waitForResult();
    } finally {
      clearTimeout(timer);
    }
  };
  const source = Symbol.asyncIterator in items
    ? items[Symbol.asyncIterator]()
    : items[Symbol.iterator]();
  const start = (item: T, lane: Lane<T>) => {
    pending += 1;
    void engine.fetch(requestOf(item), signal).then((result) => {
      done.push(output(item, result));
      wake?.();
      // undici hands a keep-alive connection back to its pool one event-loop turn after the
      // response (lib/dispatcher/client-h1.js, onMessageComplete: setImmediate(client[kResume])):
      // the next URL of this origin started before that would open a second connection.
      setImmediate(() => {
        window.finished(lane);
        pending -= 1;
        wake?.();
      });
    });
  };
  // A URL waiting for its host (or a retry) holds no permit: another may start in its place.
  const unwatch = engine.watchWaiting(() => wake?.());
  let exhausted = false;
  try {
    while (!exhausted || pending > 0 || window.size > 0) {
      while (engine.mayStartAnother(pending)) {
        const next = window.take(exhausted, pending);
        if (next !== undefined) {
          start(next.item, next.lane);
          continue;
        }
        if (exhausted || window.full) break;
        const read = await source.next();
        if (read.done) exhausted = true;
        else window.add(read.value, originOf(requestOf(read.value).url));
      }
      if (done.length === 0 && pending > 0) await waitForResultOrHoldEnd();
      wake = undefined;
      while (done.length > 0) yield done.shift()!;
    }
  } finally {
    unwatch();
    window.clear();
    while (pending > 0) {
      await waitForResult();
      done.length = 0;
    }
  }
}

export { schedule, WINDOW_URLS };
export type { Fetched };
