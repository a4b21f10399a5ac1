import type { ResultOrigin, ResultSink } from '../sinks/result-sink.ts';

/** Why a record's results could not be settled: it fails, and SQS delivers it again. */
interface Unstored {
  readonly reason: string;
  readonly error?: string;
}

/**
 * Stores a delivery's results when the job counted it (or the message belongs to no job);
 * drops them when another delivery of the message was counted first, whose results stand. If
 * those are not stored (that delivery died, or its write failed, after counting), this delivery
 * fails, and the next one fetches what the counted delivery did not hand on and stores it
 * (`refill`). Undefined when settled.
 */
async function storeResults(sink: ResultSink, origin: ResultOrigin, counted: boolean): Promise<Unstored | undefined> {
  try {
    if (counted) {
      await sink.complete?.(origin);
      return undefined;
    }
    sink.discard?.(origin);
    if ((await sink.stored?.(origin)) !== false) return undefined;
    return { reason: 'another delivery of this message was counted and its results are not stored yet: the next delivery stores them' };
  } catch (error) {
    return { reason: 'results could not be stored; a redelivery stores them', error: (error as Error).message };
  }
}

export { storeResults };
