import type { FetchRequest, FetchResult } from './fetch-types.ts';

/** What a record says beyond the request's own `url` and `id`; only `error` is required. */
type RecordFields = Partial<Omit<FetchResult, 'url' | 'id' | 'line'>> & Pick<FetchResult, 'error'>;

/**
 * The one builder of final result records: fetched URLs, refused lines, exhausted and aborted
 * URLs all go through it, so every record has the same fields with the same defaults (no
 * attempts beyond those carried, no status, no bytes). Optional fields appear only when present.
 */
function resultRecord(request: Pick<FetchRequest, 'url' | 'id' | 'line' | 'priorAttempts'>, fields: RecordFields): FetchResult {
  const record: FetchResult = {
    url: request.url,
    ok: fields.ok ?? false,
    status: fields.status ?? null,
    attempts: fields.attempts ?? request.priorAttempts ?? 0,
    redirects: fields.redirects ?? 0,
    latencyMs: fields.latencyMs ?? 0,
    bytes: fields.bytes ?? 0,
    error: fields.error,
  };
  if (request.id !== undefined) record.id = request.id;
  if (request.line !== undefined) record.line = request.line;
  if (fields.finalUrl !== undefined) record.finalUrl = fields.finalUrl;
  if (fields.contentType !== undefined) record.contentType = fields.contentType;
  if (fields.etag !== undefined) record.etag = fields.etag;
  if (fields.lastModified !== undefined) record.lastModified = fields.lastModified;
  if (fields.sha256 !== undefined) record.sha256 = fields.sha256;
  if (fields.normalizedSha256 !== undefined) record.normalizedSha256 = fields.normalizedSha256;
  if (fields.notModified) record.notModified = true;
  if (fields.change !== undefined) record.change = fields.change;
  if (fields.truncated) record.truncated = true;
  if (fields.headFallback) record.headFallback = true;
  if (fields.redirectChain !== undefined) record.redirectChain = fields.redirectChain;
  if (fields.headers !== undefined) record.headers = fields.headers;
  if (fields.tls !== undefined) record.tls = fields.tls;
  if (fields.timings !== undefined) record.timings = fields.timings;
  // Last: a kept body is the long field, and readers of a line find the rest before it.
  if (fields.body !== undefined) record.body = fields.body;
  return record;
}

export { resultRecord };
export type { RecordFields };
