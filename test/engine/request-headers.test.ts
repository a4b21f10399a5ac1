import { FetchEngine } from '../../lib/engine/fetch-engine.ts';
import { headerRefusal, isHeaderName } from '../../lib/engine/request-headers.ts';

/*
 * The header rules, now Node's validateHeaderName/validateHeaderValue, answer exactly as RFC 9110
 * says (a name is a §5.1 token; a value holds visible ASCII, space, tab or obs-text, §5.5), and a
 * refusal names the header but never repeats its value.
 */
const TOKEN_CHARACTER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]$/;
const VALUE_CHARACTER = /^[\t\x20-\x7e\x80-\xff]$/;
const characters = Array.from({ length: 0x300 }, (_, code) => String.fromCharCode(code));

describe('request header rules', () => {
  test('a name is a token: every character up to U+02FF, inside a name and alone, and the empty name', () => {
    for (const character of characters) {
      const token = TOKEN_CHARACTER.test(character);
      expect([character, isHeaderName(character), isHeaderName(`x-${character}-y`)]).toStrictEqual([character, token, token]);
      expect([character, headerRefusal(`x${character}`, 'v') === undefined]).toStrictEqual([character, token]);
    }
    expect(isHeaderName('')).toBe(false);
    expect(isHeaderName(undefined)).toBe(false);
    expect(headerRefusal('', 'v')).toBe("header name '' is not an HTTP token");
  });

  test('a value holds visible ASCII, space, tab and obs-text: every character up to U+02FF', () => {
    for (const character of characters) {
      const allowed = VALUE_CHARACTER.test(character);
      expect([character, headerRefusal('x-a', `a${character}b`)]).toStrictEqual([
        character, allowed ? undefined : 'header x-a has a line break, NUL or a character beyond U+00FF',
      ]);
    }
    expect(headerRefusal('x-a', '')).toBeUndefined();
    expect(headerRefusal('x-a', 7)).toBe('header x-a must be a string');
  });

  test('a refused value is never repeated: not by a request\'s refusal, nor by the engine option\'s error', () => {
    const secret = 'Bearer s3cr3t';
    expect(headerRefusal('authorization', `${secret}\r\nHost: evil`)).toBe('header authorization has a line break, NUL or a character beyond U+00FF');

    let thrown: unknown;
    try {
      // Refused while its options are read, before the engine holds anything.
      new FetchEngine({ headers: { authorization: `${secret}\n` } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_OPTION', option: 'headers', received: 'authorization' });
    expect((thrown as Error).message).toContain('authorization');
    expect((thrown as Error).message).not.toContain('s3cr3t');
  });
});
