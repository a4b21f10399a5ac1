import fc from 'fast-check';
import { decodeHandedOn, encodeHandedOn } from '../../lib/jobs/handed-on.ts';

/*
 * The URLs a stored message handed on travel in S3 user metadata (2 KB at most): whichever
 * delivery counts the message reads them back from the object.
 */
describe('handed-on URLs in a records object\'s metadata', () => {
  /** Distinct indices of a message of up to 10,000 URLs, each with the attempts it spent. */
  const handedOn = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 10 })), { selector: ([index]) => index, maxLength: 10_000 })
    .map((list) => list.sort(([a], [b]) => a - b));

  test('round-trips exactly when it fits, and always keeps the set of indices, within 1,800 characters', () => {
    fc.assert(fc.property(handedOn, (list) => {
      const encoded = encodeHandedOn(list);
      const decoded = decodeHandedOn(encoded);
      expect(encoded.length).toBeLessThanOrEqual(1_800);
      expect(decoded.map(([index]) => index)).toStrictEqual(list.map(([index]) => index));
      if (!encoded.startsWith('*')) expect(decoded).toStrictEqual(list);
      // The bitmap gives each URL the fewest attempts any had spent: never more than its own.
      else for (const [i, [, attempts]] of decoded.entries()) expect(attempts).toBeLessThanOrEqual(list[i]![1]);
    }), { numRuns: 200 });
  });

  test('a deadline\'s usual cut, the tail of a message, is a few characters', () => {
    const tail: [number, number][] = Array.from({ length: 9_000 }, (_, i) => [1_000 + i, 1]);
    expect(encodeHandedOn(tail)).toBe('1:rs-7pr');
    expect(decodeHandedOn('1:rs-7pr')).toStrictEqual(tail);
    expect(encodeHandedOn([])).toBe('');
  });

  test('a value it did not write is refused, not misread', () => {
    for (const bad of ['x', '1:', ':1', '-1:2', '1:2-', '1:ZZ']) expect(() => decodeHandedOn(bad)).toThrow('not a handed-on value');
  });
});
