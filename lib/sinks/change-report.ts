import { ChangeClass, REPORTED_CHANGES, type MissingEntry } from '../engine/change.ts';
import { resultToJson, type StoredRecord } from './result-json.ts';
import type { ResultSink } from './result-sink.ts';
import { tappingSink } from './tapping-sink.ts';


/** A change report's line for a URL the run no longer has: `{"url", "id"?, "change": "missing", "previous"}`. */
function missingLine(entry: MissingEntry): string {
  return JSON.stringify({ url: entry.url, ...(entry.id === undefined ? {} : { id: entry.id }), change: ChangeClass.MISSING, previous: entry.previous });
}

/**
 * The report's line for a record, when its change is one a report lists (its body left out: the
 * report says what changed, the results hold the content); undefined otherwise.
 */
function changeLineOf(result: StoredRecord): string | undefined {
  if (result.change === undefined || !REPORTED_CHANGES.has(result.change)) return undefined;
  const { body: _body, ...record } = result;
  return resultToJson(record);
}

/** `inner`, also handing every record's report line (`changeLineOf`) to `report`. */
function reportingChanges(inner: ResultSink, report: (line: string) => Promise<void> | void): ResultSink {
  return tappingSink(inner, async (results) => {
    for (const result of results) {
      const line = changeLineOf(result);
      if (line !== undefined) await report(line);
    }
  });
}

export { missingLine, reportingChanges };
