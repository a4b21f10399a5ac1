import fc from 'fast-check';
import { createDestinationPolicy } from '../../lib/index.ts';
import { safeEngine, closeEngines } from '../support/engines.ts';

const policy = createDestinationPolicy();

/** Blocked IPv4 ranges as [first octets, prefix length]. */
const BLOCKED_V4: ReadonlyArray<readonly [number[], number]> = [
  [[127], 8], [[10], 8], [[0], 8], [[169, 254], 16], [[172, 16], 12], [[192, 168], 16], [[100, 64], 10], [[224], 4], [[240], 4],
];

/** A uniformly random address inside one of the blocked IPv4 ranges, as 4 octets. */
const blockedV4 = fc.constantFrom(...BLOCKED_V4).chain(([prefix, bits]) =>
  fc.tuple(fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 })).map(([offset]) => {
    const base = prefix.reduce((acc, octet, i) => acc + octet * 2 ** (24 - 8 * i), 0);
    const value = base + offset;
    return [value >>> 24 & 255, value >>> 16 & 255, value >>> 8 & 255, value & 255];
  }));

const hex = (n: number) => n.toString(16);

/** Textual IPv6 forms that embed an IPv4 address. */
function embeddings([a, b, c, d]: number[]): string[] {
  const high = hex((a! << 8) | b!);
  const low = hex((c! << 8) | d!);
  return [
    `::ffff:${a}.${b}.${c}.${d}`, `::ffff:${high}:${low}`, `0:0:0:0:0:ffff:${high}:${low}`,
    `::${a}.${b}.${c}.${d}`, `::${high}:${low}`,
    `64:ff9b::${high}:${low}`, `64:ff9b::${a}.${b}.${c}.${d}`,
    `2002:${high}:${low}::`, `2002:${high}:${low}::1`,
    `[::ffff:${a}.${b}.${c}.${d}]`, `::FFFF:${high.toUpperCase()}:${low.toUpperCase()}`,
  ];
}

describe('destination policy (property-based)', () => {
  afterAll(closeEngines);

  test('no textual form of a blocked IPv4 address passes the policy', () => {
    fc.assert(fc.property(blockedV4, (octets) => {
      for (const text of [octets.join('.'), ...embeddings(octets)]) {
        expect({ text, allowed: policy.check(text).allowed }).toStrictEqual({ text, allowed: false });
      }
    }), { numRuns: 2000 });
  });

  test('blocked IPv6 ranges never pass, in any spelling', () => {
    const prefixes = fc.constantFrom('fe80', 'febf', 'fc00', 'fdff', 'ff02', 'ff0e', 'fec0');
    const group = fc.integer({ min: 0, max: 0xffff }).map(hex);
    fc.assert(fc.property(prefixes, fc.array(group, { minLength: 7, maxLength: 7 }), fc.boolean(), (prefix, rest, upper) => {
      const text = [prefix, ...rest].join(':');
      expect(policy.check(upper ? text.toUpperCase() : text).allowed).toBe(false);
    }), { numRuns: 2000 });
  });

  test('every numeric spelling of a blocked IPv4 address the URL parser accepts is blocked before any connection', async () => {
    const engine = safeEngine({ connectTimeoutMs: 200, retries: 0 });
    const spellings = ([a, b, c, d]: number[]) => [
      `${(((a! << 24) >>> 0) + (b! << 16) + (c! << 8) + d!)}`,
      `0x${(((a! << 24) >>> 0) + (b! << 16) + (c! << 8) + d!).toString(16)}`,
      `0${a!.toString(8)}.${b}.${c}.${d}`,
      `${a}.${(b! << 16) + (c! << 8) + d!}`,
    ];
    await fc.assert(fc.asyncProperty(blockedV4, async (octets) => {
      for (const host of spellings(octets)) {
        const result = await engine.fetch({ url: `http://${host}:9/` });
        expect({ host, code: result.error?.code }).toStrictEqual({ host, code: 'BLOCKED_DESTINATION' });
      }
    }), { numRuns: 200 });
  });
});
