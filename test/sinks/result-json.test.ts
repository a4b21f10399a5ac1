import fc from 'fast-check';
import { ErrorCode } from '../../lib/core/errors.ts';
import type { FetchResult } from '../../lib/index.ts';
import { resultToJson } from '../../lib/sinks/result-json.ts';

/** The keys of a record, in the order FetchResult declares them. */
const DECLARED_ORDER = ['url', 'id', 'line', 'ok', 'status', 'attempts', 'redirects', 'finalUrl', 'latencyMs', 'bytes', 'contentType', 'sha256',
  'truncated', 'headFallback', 'redirectChain', 'headers', 'tls', 'timings', 'body', 'error'];

const text = fc.string({ unit: 'binary', maxLength: 60 });
const result: fc.Arbitrary<FetchResult> = fc.record({
  url: text,
  id: fc.option(text, { nil: undefined }),
  ok: fc.boolean(),
  status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }),
  attempts: fc.nat(20),
  redirects: fc.nat(5),
  finalUrl: fc.option(text, { nil: undefined }),
  latencyMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
  bytes: fc.nat(),
  contentType: fc.option(text, { nil: undefined }),
  sha256: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
  truncated: fc.option(fc.constant(true as const), { nil: undefined }),
  headFallback: fc.option(fc.constant(true as const), { nil: undefined }),
  redirectChain: fc.option(fc.array(fc.record({ url: text, status: fc.integer({ min: 300, max: 399 }) }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  headers: fc.option(fc.dictionary(fc.stringMatching(/^[a-z-]{1,12}$/), text, { maxKeys: 3 }), { nil: undefined }),
  tls: fc.option(fc.record({ protocol: text, validTo: text, daysLeft: fc.integer({ min: -10, max: 400 }), issuer: text, subject: text, resumed: fc.boolean() }),
    { nil: undefined }),
  timings: fc.option(fc.record({ dns: fc.nat(), connect: fc.nat(), tls: fc.nat(), firstByte: fc.nat(), total: fc.nat() }), { nil: undefined }),
  body: fc.option(fc.base64String(), { nil: undefined }),
  error: fc.option(fc.record({ code: fc.constantFrom(...Object.values(ErrorCode)), message: text }), { nil: null }),
}).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as FetchResult);

describe('result records as JSON lines', () => {
  test('parse back to the same record, keys in declared order, for any strings (quotes, control characters, lone surrogates)', () => {
    fc.assert(fc.property(result, (record) => {
      const json = resultToJson(record);
      expect(JSON.parse(json)).toStrictEqual(JSON.parse(JSON.stringify(record)));
      expect(Object.keys(JSON.parse(json))).toStrictEqual(DECLARED_ORDER.filter((key) => key in record));
      expect(json).not.toContain('\n');
    }), { numRuns: 2000 });
  });

  test('a record with every field reads as documented', () => {
    const record: FetchResult = {
      url: 'https://example.com/a"b', id: 'x-1', ok: false, status: 404, attempts: 2, redirects: 1,
      finalUrl: 'https://example.com/b', latencyMs: 12.5, bytes: 3, contentType: 'text/plain',
      sha256: 'ab'.repeat(32), body: 'eHl6', error: { code: ErrorCode.HTTP_STATUS, message: 'HTTP status 404' },
    };
    expect(resultToJson(record)).toBe('{"url":"https://example.com/a\\"b","id":"x-1","ok":false,"status":404,"attempts":2,"redirects":1,'
      + '"finalUrl":"https://example.com/b","latencyMs":12.5,"bytes":3,"contentType":"text/plain",'
      + `"sha256":"${'ab'.repeat(32)}","body":"eHl6","error":{"code":"HTTP_STATUS","message":"HTTP status 404"}}`);
  });

  test('a stored body is named by bodyKey, where body would be (the S3 sink uses the same serialiser)', () => {
    const json = resultToJson({
      url: 'https://example.com/', ok: true, status: 200, attempts: 1, redirects: 0, latencyMs: 1, bytes: 2,
      sha256: 'cd'.repeat(32), bodyKey: `results/bodies/${'cd'.repeat(32)}`, error: null,
    });
    expect(json).toBe(`{"url":"https://example.com/","ok":true,"status":200,"attempts":1,"redirects":0,"latencyMs":1,"bytes":2,"sha256":"${'cd'.repeat(32)}","bodyKey":"results/bodies/${'cd'.repeat(32)}","error":null}`);
  });
});
