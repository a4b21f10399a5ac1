import * as v from 'valibot';
import { OPTION_RANGES } from '../core/option-ranges.ts';
import { ranged } from './ranged.ts';
import { StatusSet } from '../engine/status-set.ts';

/** Longest URL accepted, in characters (browsers and CDNs stop near 8 KiB too). */
const MAX_URL_LENGTH = 8192;
/** Longest ETag or Last-Modified carried from an earlier run (a header line, not a document). */
const MAX_VALIDATOR_LENGTH = 1024;

/** `okStatus`: codes and ranges such as `200-399,404` (lib/engine/status-set.ts). */
const OkStatusSchema = v.pipe(v.string(), v.check((text) => StatusSet.parse(text).ok, (issue) => {
  const parsed = StatusSet.parse(issue.input);
  return `okStatus must be ${parsed.ok ? 'a status list' : parsed.error}`;
}));

/**
 * One request as it travels in input lines and queue messages. Field types are checked here;
 * URL syntax, method and header contents are checked by the engine, which reports them as result
 * records (`INVALID_URL`, `INVALID_REQUEST`) instead of failing the whole message.
 */
const FetchRequestSchema = v.object({
  url: v.pipe(v.string(), v.maxLength(MAX_URL_LENGTH, `url is longer than ${MAX_URL_LENGTH} characters`)),
  method: v.optional(v.string()),
  // An object of names to values: valibot's record() takes an array too (its indexes as names).
  headers: v.optional(v.pipe(
    v.custom<Record<string, string>>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), (issue) => `must be an object of header names to values, got ${Array.isArray(issue.input) ? 'an array' : issue.input === null ? 'null' : `a ${typeof issue.input}`}`),
    v.record(v.string(), v.string()),
  )),
  body: v.optional(v.string()),
  id: v.optional(v.string()),
  /** Statuses that count as success for this URL, instead of the run's. */
  okStatus: v.optional(OkStatusSchema),
  /** With method HEAD: ask again with GET on 405/501. */
  headFallback: v.optional(v.boolean()),
  /** The input line it came from (written by `run` and `enqueue`, echoed in its record). */
  line: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** Attempts already made (continuations and redeliveries carry it). */
  attempts: ranged(OPTION_RANGES.priorAttempts),
  /** The earlier run's record of the URL, when the run compares (`null`: none, the URL is new). */
  previous: v.optional(v.nullable(v.strictObject({
    ok: v.boolean(),
    status: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(999))),
    sha256: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'))),
    normalizedSha256: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'normalizedSha256 must be 64 lowercase hex digits'))),
    etag: v.optional(v.pipe(v.string(), v.maxLength(MAX_VALIDATOR_LENGTH))),
    lastModified: v.optional(v.pipe(v.string(), v.maxLength(MAX_VALIDATOR_LENGTH))),
  }))),
});

type FetchRequestInput = v.InferOutput<typeof FetchRequestSchema>;

export { FetchRequestSchema, MAX_URL_LENGTH, OkStatusSchema };
export type { FetchRequestInput };
