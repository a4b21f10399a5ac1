import * as v from 'valibot';
import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import { parseTarget } from '../engine/request-target.ts';
import { FetchError, ErrorCode } from '../core/errors.ts';
import { closestName } from '../core/closest-name.ts';
import { FetchRequestSchema, MAX_URL_LENGTH } from '../schemas/fetch-request.ts';
import { invalidResult } from './invalid-result.ts';
import type { Line } from './read-lines.ts';

type ParsedLine =
  | { readonly kind: 'skip' }
  | { readonly kind: 'request'; readonly request: FetchRequest }
  | { readonly kind: 'invalid'; readonly result: FetchResult };

/** How much of a bad line is echoed back in its result's `url`. */
const ECHO_LIMIT = 2048;

/**
 * Reads one input line: a bare URL, or a JSON object `{ url, method?, headers?, body?, id? }`.
 * Blank lines and lines starting with `#` are skipped. Anything else that cannot be fetched
 * becomes an INVALID_URL / INVALID_REQUEST result, so a bad line never stops a run.
 */
function parseRequestLine(line: Line): ParsedLine {
  const text = line.text.trim();
  if (text === '' || text.startsWith('#')) return { kind: 'skip' };
  const echo = text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text;
  const at = line.number;
  if (line.truncated) {
    return invalid(echo, at, ErrorCode.INVALID_URL, `line ${line.number} is longer than the input line limit`);
  }
  if (!text.startsWith('{')) {
    if (text.length > MAX_URL_LENGTH) return invalid(echo, at, ErrorCode.INVALID_URL, `url is longer than ${MAX_URL_LENGTH} characters`);
    // The WHATWG URL parser silently removes tabs and newlines inside a URL: `a\tb` would fetch `ab`.
    if (text.includes('\t')) return invalid(echo, at, ErrorCode.INVALID_URL, `line ${line.number} has a tab inside the URL`);
    return checked({ url: text, line: at });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid(echo, at, ErrorCode.INVALID_URL, `line ${line.number} is neither a URL nor valid JSON`);
  }
  const unknown = unknownField(json);
  if (unknown !== undefined) {
    const url = typeof (json as { url?: unknown }).url === 'string' ? (json as { url: string }).url : echo;
    return invalid(url, at, ErrorCode.INVALID_REQUEST, unknown);
  }
  const parsed = v.safeParse(FetchRequestSchema, json);
  if (!parsed.success) {
    const url = typeof (json as { url?: unknown }).url === 'string' ? (json as { url: string }).url : echo;
    const issue = parsed.issues[0];
    const field = issue.path?.map((item) => String(item.key)).join('.') ?? 'line';
    const code = field === 'url' || field === 'line' ? ErrorCode.INVALID_URL : ErrorCode.INVALID_REQUEST;
    return invalid(url, at, code, `${field}: ${issue.message}`);
  }
  const { attempts, ...request } = parsed.output;
  return checked(attempts === undefined ? { ...request, line: at } : { ...request, line: at, priorAttempts: attempts });
}

/** The fields a JSON line may have: the request schema's. */
const KNOWN_FIELDS: readonly string[] = Object.keys(FetchRequestSchema.entries);

/** Why a JSON line's object has a field the request schema lacks (a misspelt key is not ignored), or undefined. */
function unknownField(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const field = Object.keys(json).find((key) => !KNOWN_FIELDS.includes(key));
  if (field === undefined) return undefined;
  const closest = closestName(field, KNOWN_FIELDS);
  return `unknown field '${field}'${closest === undefined ? '' : ` (did you mean '${closest}'?)`}: a request has ${KNOWN_FIELDS.join(', ')}`;
}

function checked(request: FetchRequest): ParsedLine {
  const target = parseTarget(request.url);
  if (!target.ok) return { kind: 'invalid', result: invalidResult(request, target.error) };
  return { kind: 'request', request };
}

function invalid(url: string, line: number, code: ErrorCode, message: string): ParsedLine {
  return { kind: 'invalid', result: invalidResult({ url, line }, new FetchError(code, message)) };
}

export { parseRequestLine };
export type { ParsedLine };
