import type { FetchResult } from '../engine/fetch-types.ts';

/*
 * One result record as a JSON line, built by hand: `JSON.stringify` of the whole record walks
 * its keys generically and was the largest single cost of the local run's sink in the profile
 * (~0.5 µs per URL, a third of that here). Strings still go through `JSON.stringify`, so escaping
 * is exactly the standard one; keys come in the order `FetchResult` declares them, optional ones
 * only when present. test/sinks/result-json.test.ts checks it parses back to the same record.
 */

function jsonNumber(value: number): string {
  // JSON has no NaN or Infinity; JSON.stringify writes them as null, and so do we.
  return Number.isFinite(value) ? `${value}` : 'null';
}

function optionalString(key: string, value: string | undefined): string {
  return value === undefined ? '' : `,"${key}":${JSON.stringify(value)}`;
}

/** The opt-in structured fields, rare enough that the generic stringify costs nothing overall. */
function optionalObject(key: string, value: object | undefined): string {
  return value === undefined ? '' : `,"${key}":${JSON.stringify(value)}`;
}

/** A record as a sink stores it: a stored body is named by `bodyKey` (S3) or `bodyFile` (--bodies-dir) instead of carried. */
type StoredRecord = FetchResult & { readonly bodyKey?: string; readonly bodyFile?: string };

function resultToJson(result: StoredRecord): string {
  const error = result.error === null
    ? 'null'
    : `{"code":${JSON.stringify(result.error.code)},"message":${JSON.stringify(result.error.message)}}`;
  return `{"url":${JSON.stringify(result.url)}${optionalString('id', result.id)}`
    + (result.line === undefined ? '' : `,"line":${jsonNumber(result.line)}`)
    + `,"ok":${result.ok ? 'true' : 'false'}`
    + `,"status":${result.status === null ? 'null' : jsonNumber(result.status)}`
    + `,"attempts":${jsonNumber(result.attempts)},"redirects":${jsonNumber(result.redirects)}`
    + optionalString('finalUrl', result.finalUrl)
    + `,"latencyMs":${jsonNumber(result.latencyMs)},"bytes":${jsonNumber(result.bytes)}`
    + optionalString('contentType', result.contentType)
    + optionalString('etag', result.etag)
    + optionalString('lastModified', result.lastModified)
    + optionalString('sha256', result.sha256)
    + optionalString('normalizedSha256', result.normalizedSha256)
    + (result.notModified ? ',"notModified":true' : '')
    + optionalString('change', result.change)
    + (result.truncated ? ',"truncated":true' : '')
    + (result.headFallback ? ',"headFallback":true' : '')
    + optionalObject('redirectChain', result.redirectChain)
    + optionalObject('headers', result.headers)
    + optionalObject('tls', result.tls)
    + optionalObject('timings', result.timings)
    + optionalString('bodyKey', result.bodyKey)
    + optionalString('bodyFile', result.bodyFile)
    + optionalString('body', result.body)
    + `,"error":${error}}`;
}

export { resultToJson };
export type { StoredRecord };
