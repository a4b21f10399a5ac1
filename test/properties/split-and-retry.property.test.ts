import fc from 'fast-check';
import { backoffDelay, parseRetryAfter } from '../../lib/engine/retry-policy.ts';
import { splitIntoMessages } from '../../lib/queue/split-into-messages.ts';
import { parseQueueMessage } from '../../lib/schemas/queue-message.ts';
import type { FetchRequest } from '../../lib/index.ts';

const request: fc.Arbitrary<FetchRequest> = fc.record({
  url: fc.webUrl({ withQueryParameters: true, withFragments: false }),
  method: fc.option(fc.constantFrom('GET', 'POST', 'PUT'), { nil: undefined }),
  body: fc.option(fc.string({ unit: 'binary', maxLength: 3000 }), { nil: undefined }),
  id: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
}, { requiredKeys: ['url'] }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as FetchRequest);

describe('message splitting (property-based)', () => {
  test('messages never exceed the byte or URL limits, and every request lands in exactly one message or is reported', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(request, { maxLength: 120 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1024, max: 16 * 1024 }),
      async (requests, maxUrls, maxBytes) => {
        const sent: FetchRequest[] = [];
        const oversized: FetchRequest[] = [];
        for await (const item of splitIntoMessages(requests, { maxUrls, maxBytes })) {
          if (item.kind === 'oversized') {
            oversized.push(item.request);
            continue;
          }
          expect(Buffer.byteLength(item.body)).toBeLessThanOrEqual(maxBytes);
          expect(item.requests.length).toBeLessThanOrEqual(maxUrls);
          const parsed = parseQueueMessage(item.body);
          if (!parsed.ok) throw new Error(parsed.error);
          expect(parsed.value.requests).toStrictEqual(item.requests);
          sent.push(...item.requests);
        }
        expect([...sent, ...oversized].length).toBe(requests.length);
        expect(new Set([...sent, ...oversized])).toStrictEqual(new Set(requests));
      },
    ), { numRuns: 300 });
  });
});

describe('retry schedule (property-based)', () => {
  test('every delay is within [0, min(cap, base × 2^retry)), and the ceilings never decrease', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 600_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (base, cap, random) => {
        let previousCeiling = 0;
        for (let retry = 0; retry < 40; retry++) {
          const ceiling = Math.min(cap, base * 2 ** retry);
          const delay = backoffDelay(retry, base, cap, () => random);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.max(0, ceiling));
          if (ceiling > 0) expect(delay).toBeLessThan(ceiling);
          expect(ceiling).toBeGreaterThanOrEqual(previousCeiling);
          previousCeiling = ceiling;
        }
      },
    ), { numRuns: 2000 });
  });

  test('Retry-After parses to a non-negative delay: seconds exactly (up to the longest timer), dates relative to now', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: -86_400, max: 86_400 }), (seconds, offset) => {
      const now = Date.UTC(2026, 10, 22, 12);
      expect(parseRetryAfter(String(seconds), now)).toBe(Math.min(seconds * 1000, 2 ** 31 - 1));
      const date = new Date(now + offset * 1000).toUTCString();
      expect(parseRetryAfter(date, now)).toBe(Math.max(0, offset * 1000));
    }), { numRuns: 2000 });
  });
});
