/**
 * The one rule for a request header batchfetch will send: the engine's own `headers` option, -H
 * flags and each request's `headers` are all checked with it before undici sees them.
 *
 * Why before: undici validates headers inside `Pool.dispatch`, and a request it refuses there
 * makes the pool mark the connection it picked as busy for good (`kDrainQueue` in
 * lib/dispatcher/pool-base.js sets `kNeedDrain` whenever `dispatch` returns false, and a
 * connection that never ran the request never drains). Six refused requests to one origin left
 * every later URL of that origin queued for ever. Refused here, they never reach a pool.
 */

// Taken from the CommonJS module object (https://nodejs.org/api/process.html#processgetbuiltinmoduleid),
// not by `import … from 'node:http'`: an ES module import of a builtin copies every export when
// it loads (https://nodejs.org/api/esm.html#builtin-modules), which runs node:http's lazy getters
// (WebSocket and the other web classes) and loads Node's own undici and crypto with them: 113
// internal modules and about 70 ms of CPU at every start, measured on Node 24.
const { validateHeaderName, validateHeaderValue } = process.getBuiltinModule('node:http');

/**
 * Whether `name` is an RFC 9110 §5.1 token, by Node's own check (`http.validateHeaderName`:
 * https://nodejs.org/api/http.html#httpvalidateheadernamename-label). undici checks with the same
 * character sets, lifted from Node's lib/_http_common.js (`isValidHTTPToken`,
 * `isValidHeaderValue` in undici's lib/core/util.js), so both answer alike.
 */
function isToken(name: string): boolean {
  try {
    validateHeaderName(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `value` holds a character a field value may not (RFC 9110 §5.5 allows visible ASCII,
 * space, tab and obs-text: no CR, LF or NUL, nothing past U+00FF), by Node's own check
 * (`http.validateHeaderValue`: https://nodejs.org/api/http.html#httpvalidateheadervaluename-value).
 * Node's error is dropped, not passed on: only the header's name goes into a message, never its
 * value (it may be a credential).
 */
function hasInvalidCharacter(name: string, value: string): boolean {
  try {
    validateHeaderValue(name, value);
    return false;
  } catch {
    return true;
  }
}

/**
 * Headers that belong to the connection or the message framing, which the engine owns: a
 * request that set them could smuggle a second request or switch protocols (RFC 9110 §7.6.1,
 * RFC 9112 §6.1, §9.6; undici refuses each, `expect` as unsupported).
 */
const CONNECTION_HEADERS = new Set(['transfer-encoding', 'keep-alive', 'upgrade', 'expect']);

/** `Connection` may only say whether to keep the connection open. */
const CONNECTION_OPTIONS = new Set(['close', 'keep-alive']);

/**
 * Why the header `name: value` cannot be sent, or undefined when it can. `name` in any case. The
 * reason names the header and never quotes its value.
 * `content-length` must be digits (it must also match the body; undici checks that when sending).
 */
function headerRefusal(name: string, value: unknown): string | undefined {
  if (!isToken(name)) return `header name '${printable(name)}' is not an HTTP token`;
  if (typeof value !== 'string') return `header ${name} must be a string`;
  if (hasInvalidCharacter(name, value)) return `header ${name} has a line break, NUL or a character beyond U+00FF`;
  const lower = name.toLowerCase();
  if (CONNECTION_HEADERS.has(lower)) return `header ${lower} is set by the engine, never by a request`;
  if (lower === 'connection' && !value.split(',').every((option) => CONNECTION_OPTIONS.has(option.trim().toLowerCase()))) {
    return 'header connection may only be close or keep-alive';
  }
  if (lower === 'content-length' && !/^\d+$/.test(value)) return 'header content-length must be a non-negative integer';
  return undefined;
}

/** Whether `name` can name a header at all (an RFC 9110 §5.1 token): the rule for names asked of responses too. */
function isHeaderName(name: unknown): name is string {
  return typeof name === 'string' && isToken(name);
}

/** A header name as it may appear in a message: control characters escaped, at most 40 characters. */
function printable(text: string): string {
  return JSON.stringify(text.slice(0, 40)).slice(1, -1);
}

export { headerRefusal, isHeaderName };
