import type { FetchResult, PreviousRecord } from './fetch-types.ts';

/**
 * What became of a URL since an earlier run, on every record of a run that compares (`--since`,
 * a job's earlier job). Stable names: programs match on them.
 */
const ChangeClass = {
  /** No record of the URL in the earlier run. */
  NEW: 'new',
  /** OK both times, with the same content: a `304 Not Modified`, or the same sha256. */
  UNCHANGED: 'unchanged',
  /** OK both times, with different content. */
  CHANGED: 'changed',
  /** OK in the earlier run, failing now. */
  BROKE: 'broke',
  /** Failing in the earlier run, OK now. */
  RECOVERED: 'recovered',
  /** Failing both times. */
  STILL_FAILING: 'still-failing',
  /**
   * OK both times, but the earlier record holds nothing to compare the content with: no sha256
   * (a run that did not compare, in the default body mode) and no validator in common.
   */
  UNKNOWN: 'unknown',
  /** In the earlier run, not in this one (reported beside the records, never as one). */
  MISSING: 'missing',
} as const;

type ChangeClass = (typeof ChangeClass)[keyof typeof ChangeClass];

/**
 * Compares a URL's record with the earlier run's. Content is the same when the server said so
 * (`304`) or the sha256 of the decoded bodies match; when either run has no hash, the same
 * validators (ETag, else Last-Modified) stand for the same content; with neither, it is `unknown`
 * rather than a guess.
 */
function classifyChange(previous: PreviousRecord | null, result: FetchResult): ChangeClass {
  if (previous === null) return ChangeClass.NEW;
  if (!result.ok) return previous.ok ? ChangeClass.BROKE : ChangeClass.STILL_FAILING;
  if (!previous.ok) return ChangeClass.RECOVERED;
  if (result.notModified) return ChangeClass.UNCHANGED;
  if (result.normalizedSha256 !== undefined && previous.normalizedSha256 !== undefined) {
    return result.normalizedSha256 === previous.normalizedSha256 ? ChangeClass.UNCHANGED : ChangeClass.CHANGED;
  }
  if (result.sha256 !== undefined && previous.sha256 !== undefined) {
    return result.sha256 === previous.sha256 ? ChangeClass.UNCHANGED : ChangeClass.CHANGED;
  }
  if (result.etag !== undefined && previous.etag !== undefined) return result.etag === previous.etag ? ChangeClass.UNCHANGED : ChangeClass.CHANGED;
  if (result.lastModified !== undefined && previous.lastModified !== undefined) {
    return result.lastModified === previous.lastModified ? ChangeClass.UNCHANGED : ChangeClass.CHANGED;
  }
  return ChangeClass.UNKNOWN;
}

/** The record with its change class, when its request was compared with an earlier run. */
function withChange(previous: PreviousRecord | null | undefined, result: FetchResult): FetchResult {
  if (previous === undefined) return result;
  result.change = classifyChange(previous, result);
  return result;
}

/** A URL of the earlier run that this run does not have. */
interface MissingEntry {
  readonly url: string;
  readonly id?: string;
  readonly previous: PreviousRecord;
}

/**
 * The key a URL's records are matched by across runs: its URL and, when the line gave one, its
 * `id` — never its position, since lists gain, lose and reorder lines between runs.
 */
function comparisonKey(url: string, id: string | undefined): string {
  return id === undefined ? url : `${url}\u0000${id}`;
}

/** The URL and id of a comparison key (`comparisonKey`'s inverse). */
function fromComparisonKey(key: string): { readonly url: string; readonly id?: string } {
  const separator = key.indexOf('\u0000');
  return separator === -1 ? { url: key } : { url: key.slice(0, separator), id: key.slice(separator + 1) };
}

/**
 * What a later run needs of a stored record (a JSON line of an earlier run's output or a job's
 * result objects), or undefined when the line is not a record.
 */
function earlierEntryOf(text: string): { readonly url: string; readonly key: string; readonly previous: PreviousRecord } | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined; // not a record (a line cut short by a killed run, a foreign line)
  }
  if (typeof record !== 'object' || record === null || typeof record.url !== 'string' || typeof record.ok !== 'boolean') return undefined;
  const hex = (value: unknown) => (typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? value : undefined);
  const sha256 = hex(record.sha256);
  const normalizedSha256 = hex(record.normalizedSha256);
  return {
    url: record.url,
    key: comparisonKey(record.url, typeof record.id === 'string' ? record.id : undefined),
    previous: previousOf({
      ok: record.ok,
      status: typeof record.status === 'number' ? record.status : null,
      ...(sha256 === undefined ? {} : { sha256 }),
      ...(normalizedSha256 === undefined ? {} : { normalizedSha256 }),
      ...(typeof record.etag === 'string' ? { etag: record.etag } : {}),
      ...(typeof record.lastModified === 'string' ? { lastModified: record.lastModified } : {}),
    }),
  };
}

/** What a later run keeps of a record to compare with (the fields `PreviousRecord` names). */
function previousOf(record: Pick<FetchResult, 'ok' | 'status' | 'sha256' | 'normalizedSha256' | 'etag' | 'lastModified'>): PreviousRecord {
  const previous: { -readonly [K in keyof PreviousRecord]: PreviousRecord[K] } = { ok: record.ok, status: record.status };
  if (record.sha256 !== undefined) previous.sha256 = record.sha256;
  if (record.normalizedSha256 !== undefined) previous.normalizedSha256 = record.normalizedSha256;
  if (record.etag !== undefined) previous.etag = record.etag;
  if (record.lastModified !== undefined) previous.lastModified = record.lastModified;
  return previous;
}

/** The change classes a change report lists (with `missing`): what a person or a program acts on. */
const REPORTED_CHANGES: ReadonlySet<string> = new Set([ChangeClass.NEW, ChangeClass.CHANGED, ChangeClass.BROKE, ChangeClass.RECOVERED]);

export type { MissingEntry };
export { ChangeClass, comparisonKey, earlierEntryOf, fromComparisonKey, previousOf, REPORTED_CHANGES, withChange };
