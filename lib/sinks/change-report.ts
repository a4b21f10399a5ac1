import { ChangeClass } from '../engine/change.ts';
import type { PreviousRecord } from '../engine/fetch-types.ts';
import { resultToJson } from './result-json.ts';
import type { ResultSink } from './result-sink.ts';
import { tappingSink } from './tapping-sink.ts';

/** The change classes a change report lists (with `missing`): what a person or a program acts on. */
const REPORTED_CHANGES: ReadonlySet<string> = new Set([ChangeClass.NEW, ChangeClass.CHANGED, ChangeClass.BROKE, ChangeClass.RECOVERED]);

/** A URL of the earlier run that this run does not have. */
interface MissingEntry {
  readonly url: string;
  readonly id?: string;
  readonly previous: PreviousRecord;
}

/** A change report's line for a URL the run no longer has: `{"url", "id"?, "change": "missing", "previous"}`. */
function missingLine(entry: MissingEntry): string {
  return JSON.stringify({ url: entry.url, ...(entry.id === undefined ? {} : { id: entry.id }), change: ChangeClass.MISSING, previous: entry.previous });
}

/**
 * `inner`, also handing every record whose change a report lists to `report` (its body left
 * out: the report says what changed, the results hold the content).
 */
function reportingChanges(inner: ResultSink, report: (line: string) => Promise<void> | void): ResultSink {
  return tappingSink(inner, async (results) => {
    for (const result of results) {
      if (result.change !== undefined && REPORTED_CHANGES.has(result.change)) {
        const { body: _body, ...record } = result;
        await report(resultToJson(record));
      }
    }
  });
}

export { missingLine, reportingChanges };
export type { MissingEntry };
