import { ErrorCode } from '../../lib/index.ts';
import { parseRequestLine } from '../../lib/input/parse-request-line.ts';

const line = (text: string, truncated = false) => ({ number: 7, text, truncated });

describe('parseRequestLine', () => {
  test.each(['', '   ', '# a comment', '  # indented comment'])('skips %j', (text) => {
    expect(parseRequestLine(line(text))).toStrictEqual({ kind: 'skip' });
  });

  test('reads a bare URL, trimming surrounding blanks', () => {
    expect(parseRequestLine(line('  https://example.com/a?b=1  '))).toStrictEqual({ kind: 'request', request: { url: 'https://example.com/a?b=1', line: 7 } });
  });

  test('reads a JSON line with every field; attempts travel as priorAttempts', () => {
    const parsed = parseRequestLine(line('{"url":"https://example.com","method":"POST","headers":{"x":"1"},"body":"b","id":"7","attempts":2}'));

    expect(parsed).toStrictEqual({
      kind: 'request',
      request: { url: 'https://example.com', method: 'POST', headers: { x: '1' }, body: 'b', id: '7', line: 7, priorAttempts: 2 },
    });
  });

  test.each([
    ['not a url', ErrorCode.INVALID_URL, 'URL could not be parsed', 'not a url'],
    ['ftp://example.com/', ErrorCode.INVALID_URL, 'unsupported scheme ftp: (only http and https)', 'ftp://example.com/'],
    ['{oops', ErrorCode.INVALID_URL, 'line 7 is neither a URL nor valid JSON', '{oops'],
    ['{"id":"a-1"}', ErrorCode.INVALID_URL, 'url: Invalid key: Expected "url" but received undefined', '{"id":"a-1"}'],
    ['{"href":"https://example.com"}', ErrorCode.INVALID_REQUEST,
      "unknown field 'href': a request has url, method, headers, body, id, okStatus, headFallback, line, attempts, previous", '{"href":"https://example.com"}'],
    ['{"url":"https://example.com","methd":"POST"}', ErrorCode.INVALID_REQUEST,
      "unknown field 'methd' (did you mean 'method'?): a request has url, method, headers, body, id, okStatus, headFallback, line, attempts, previous", 'https://example.com'],
    ['{"url":"https://example.com","headers":["x: 1"]}', ErrorCode.INVALID_REQUEST, 'headers: must be an object of header names to values, got an array', 'https://example.com'],
    ['{"url":"https://example.com","headers":{"a":1}}', ErrorCode.INVALID_REQUEST, 'headers.a: Invalid type: Expected string but received 1', 'https://example.com'],
    [`https://example.com/${'a'.repeat(9000)}`, ErrorCode.INVALID_URL, 'url is longer than 8192 characters', undefined],
  ])('turns %j into a final %s record', (text, code, message, echoed) => {
    const parsed = parseRequestLine(line(text));

    expect(parsed.kind).toBe('invalid');
    if (parsed.kind !== 'invalid') return;
    expect(parsed.result).toMatchObject({ ok: false, status: null, attempts: 0, error: { code, message } });
    if (echoed !== undefined) expect(parsed.result.url).toBe(echoed);
    expect(parsed.result.url.length).toBeLessThanOrEqual(2049);
  });

  test('a truncated line is reported, never fetched', () => {
    const parsed = parseRequestLine(line('https://example.com/aaaa', true));

    expect(parsed).toMatchObject({ kind: 'invalid', result: { error: { code: ErrorCode.INVALID_URL, message: 'line 7 is longer than the input line limit' } } });
  });
});
