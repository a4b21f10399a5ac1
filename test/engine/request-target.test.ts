import fc from 'fast-check';
import { FetchError } from '../../lib/index.ts';
import { parseTarget } from '../../lib/engine/request-target.ts';

/** What the WHATWG parser makes of `text`, in the engine's terms. */
function whatwg(text: string) {
  try {
    const url = new URL(text.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'refused';
    return { href: url.href, origin: url.origin, path: url.pathname + url.search };
  } catch {
    return 'refused';
  }
}

const pieces = {
  scheme: fc.constantFrom('http', 'https', 'HTTP', 'Https', 'ftp', 'http:', 'https:/'),
  host: fc.oneof(
    fc.constantFrom('example.com', 'a.b-c.example', 'localhost', '127.0.0.1', '127.1', '0x7f000001', '2130706433', '0177.0.0.1',
      '0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3.04', 'xn--nxasmq6b.example', 'EXAMPLE.com', 'ex_ample.com',
      'example.com.', 'a..b', '-a.example', 'a-.example', '[::1]', '[::ffff:127.0.0.1]', 'user@example.com', 'exa mple.com',
      'münchen.example', '1.2.3', 'a.0x10', 'a.123', '10.0.0.1'),
    fc.stringMatching(/^[a-z0-9.-]{1,12}$/),
  ),
  port: fc.constantFrom('', ':80', ':443', ':8080', ':080', ':65535', ':65536', ':0', ':99999', ':'),
  path: fc.oneof(
    fc.constantFrom('', '/', '/a/b', '/a/./b', '/a/../b', '/%2e%2E/x', '/a b', '/a"b', '/a<b>', '/a`b', '/a{b}', '/é', "/a'b",
      '/a\\b', '/a%zz', '/a%41', '/.', '/..', '//double', '/a;b=c', '/~user', '/a#frag'),
    fc.stringMatching(/^\/[A-Za-z0-9._~%'"<>\\ /-]{0,10}$/),
  ),
  query: fc.constantFrom('', '?', '?a=1', '?a=1&b=2', "?a='1'", '?a b', '?a"b', '?é', '?a=%20', '?a/b?c', '?#x'),
};

describe('parseTarget', () => {
  test('agrees with the WHATWG URL parser on every generated URL, fast path or not', () => {
    fc.assert(fc.property(pieces.scheme, pieces.host, pieces.port, pieces.path, pieces.query, (scheme, host, port, path, query) => {
      const text = `${scheme}://${host}${port}${path}${query}`;
      const ours = parseTarget(text);
      const expected = whatwg(text);
      if (expected === 'refused') {
        expect(ours).toMatchObject({ ok: false, error: expect.any(FetchError) });
      } else {
        expect(ours).toStrictEqual({ ok: true, value: expected });
      }
    }), { numRuns: 5000 });
  });

  test('agrees with the parser for runs of URLs sharing origins (the last-origin shortcut)', () => {
    const url = fc.tuple(pieces.scheme, pieces.host, pieces.port, pieces.path, pieces.query).map((p) => `${p[0]}://${p[1]}${p[2]}${p[3]}${p[4]}`);
    const prefixed = fc.constantFrom('http://example.com', 'http://example.com.evil', 'http://example.com:80', 'http://example.com:8080',
      'http://example.comx', 'https://example.com', 'http://example.com#', 'http://example.com@x');
    fc.assert(fc.property(fc.array(fc.oneof(url, fc.tuple(prefixed, pieces.path, pieces.query).map((p) => p.join(''))), { minLength: 2, maxLength: 8 }), (texts) => {
      for (const text of texts) {
        const expected = whatwg(text);
        if (expected === 'refused') expect(parseTarget(text)).toMatchObject({ ok: false, error: expect.any(FetchError) });
        else expect(parseTarget(text)).toStrictEqual({ ok: true, value: expected });
      }
    }), { numRuns: 3000 });
  });

  test.each([
    ['http://example.com', { href: 'http://example.com/', origin: 'http://example.com', path: '/' }],
    ['https://example.com:443/x?y=1', { href: 'https://example.com/x?y=1', origin: 'https://example.com', path: '/x?y=1' }],
    ['http://127.0.0.1:8080/1k?i=5', { href: 'http://127.0.0.1:8080/1k?i=5', origin: 'http://127.0.0.1:8080', path: '/1k?i=5' }],
    ['  http://0x7f000001/  ', { href: 'http://127.0.0.1/', origin: 'http://127.0.0.1', path: '/' }],
  ])('%s', (text, expected) => {
    expect(parseTarget(text)).toStrictEqual({ ok: true, value: expected });
  });
});
