import { parseQueueMessage } from '../../lib/schemas/queue-message.ts';
import { FetchRequestSchema } from '../../lib/schemas/fetch-request.ts';
import { splitIntoMessages, SQS_MAX_MESSAGE_BYTES, type SplitItem } from '../../lib/queue/split-into-messages.ts';
import type { FetchRequest } from '../../lib/index.ts';

/** A request with one wire field set (`attempts` on the wire is `priorAttempts` in a request). */
function fromWireField(field: string, value: unknown): FetchRequest {
  return { url: 'https://a.example/', [field === 'attempts' ? 'priorAttempts' : field]: value };
}

async function split(requests: FetchRequest[], options = {}): Promise<SplitItem[]> {
  const items = [];
  for await (const item of splitIntoMessages(requests, options)) items.push(item);
  return items;
}

describe('splitIntoMessages', () => {
  test('groups bare URLs into compact {"urls"} messages of at most maxUrls, in order', async () => {
    const requests = Array.from({ length: 25 }, (_, i) => ({ url: `https://example.com/${i}` }));

    const items = await split(requests, { maxUrls: 10 });

    expect(items.map((item) => item.kind === 'message' && item.requests.length)).toStrictEqual([10, 10, 5]);
    const first = JSON.parse((items[0] as { body: string }).body);
    expect(first.urls).toStrictEqual(requests.slice(0, 10).map((r) => r.url));
  });

  test('uses the {"requests"} form when a request carries more than a URL, and round-trips', async () => {
    const requests = [{ url: 'https://a.example/' }, { url: 'https://b.example/', method: 'POST', body: 'x', id: 'b', priorAttempts: 2 }];

    const [item] = await split(requests);
    const parsed = parseQueueMessage((item as { body: string }).body);

    expect(parsed).toStrictEqual({ ok: true, value: { requests, options: {}, hop: 0 } });
  });

  test('every field a request can carry survives the trip through a message (none is mistaken for a bare URL)', async () => {
    const example: Record<string, unknown> = {
      method: 'HEAD', headers: { a: 'b' }, body: 'x', id: 'i', attempts: 1, okStatus: '200-399', headFallback: true,
      previous: { ok: true, status: 200 },
    };
    const fields = Object.keys(FetchRequestSchema.entries).filter((key) => key !== 'url' && key !== 'line');
    expect(fields.sort()).toStrictEqual(Object.keys(example).sort());

    for (const field of fields) {
      const request = fromWireField(field, example[field]);
      const [item] = await split([request]);
      const parsed = parseQueueMessage((item as { body: string }).body);
      expect(parsed.ok && parsed.value.requests).toStrictEqual([request]);
    }
  });

  test('never exceeds maxBytes, and a request too large for any message is reported, not sent', async () => {
    const requests = [
      ...Array.from({ length: 40 }, (_, i) => ({ url: `https://example.com/${'p'.repeat(90)}${i}` })),
      { url: 'https://example.com/huge', body: 'b'.repeat(5000) },
      { url: 'https://example.com/after' },
    ];

    const items = await split(requests, { maxUrls: 1000, maxBytes: 2048 });

    for (const item of items) if (item.kind === 'message') expect(Buffer.byteLength(item.body)).toBeLessThanOrEqual(2048);
    expect(items.filter((i) => i.kind === 'oversized')).toStrictEqual([{ kind: 'oversized', request: requests[40] }]);
    const sent = items.flatMap((i) => (i.kind === 'message' ? i.requests : []));
    expect(sent).toStrictEqual([...requests.slice(0, 40), requests[41]]);
  });

  test('by default a message is as large as SQS takes (the queues\' maximum, SQS_MAX_MESSAGE_BYTES), as continuations are', async () => {
    // A request of 600 KB: refused as oversized when the enqueuer split at 256 KiB, though the queue holds it.
    const requests = [{ url: 'https://example.com/large', body: 'b'.repeat(600_000) }, { url: 'https://example.com/next', body: 'b'.repeat(600_000) }];

    const items = await split(requests, {});

    expect(items.map((item) => item.kind)).toStrictEqual(['message', 'message']);
    for (const item of items) expect(Buffer.byteLength((item as { body: string }).body)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  });

  test('rejects limits outside what SQS accepts', async () => {
    await expect(split([], { maxBytes: 2 * 1024 * 1024 })).rejects.toThrow('Expected `maxBytes` to be an integer from 1024 to 1048576');
    await expect(split([], { maxUrls: 0 })).rejects.toThrow(/maxUrls/);
  });
});

describe('parseQueueMessage', () => {
  test.each([
    ['not json', 'message body is not valid JSON'],
    ['[1]', 'message body is not a batchfetch message: it needs exactly one of `urls` or `requests`'],
    ['{"urls":["https://x"],"requests":[]}', 'message body is not a batchfetch message: it needs exactly one of `urls` or `requests`'],
    ['{"urls":[]}', 'message body is not a batchfetch message (urls): urls must not be empty'],
    ['{"urls":"https://x"}', 'message body is not a batchfetch message (urls): Invalid type: Expected Array but received "https://x"'],
    ['{"urls":["https://x"],"extra":1}', 'message body is not a batchfetch message (extra): Invalid key: Expected never but received "extra"'],
    ['{"urls":["https://x"],"options":{"retries":99}}', 'message body is not a batchfetch message (options.retries): Invalid value: Expected <=10 but received 99'],
    ['{"urls":["https://x"],"options":{"okStatus":"2xx"}}',
      "message body is not a batchfetch message (options.okStatus): okStatus must be statuses from 100 to 999 and ranges such as 200-399, separated by commas; '2xx' is not one"],
  ])('explains why %j is not a message', (body, error) => {
    expect(parseQueueMessage(body)).toStrictEqual({ ok: false, error });
  });

  test("a message's okStatus, method and headFallback reach every URL; a request's own win; limits stay limits", () => {
    const body = JSON.stringify({
      requests: [{ url: 'https://a.example/' }, { url: 'https://b.example/', method: 'GET', okStatus: '200' }],
      options: { okStatus: '200-399,404', method: 'HEAD', headFallback: true, retries: 1 },
    });

    const parsed = parseQueueMessage(body);

    expect(parsed.ok && parsed.value.requests).toStrictEqual([
      { url: 'https://a.example/', okStatus: '200-399,404', method: 'HEAD', headFallback: true, limits: { retries: 1 } },
      { url: 'https://b.example/', okStatus: '200', method: 'GET', headFallback: true, limits: { retries: 1 } },
    ]);
  });
});
