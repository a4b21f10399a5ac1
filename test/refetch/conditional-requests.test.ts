import { parseQueueMessage } from '../../lib/schemas/queue-message.ts';
import { splitIntoMessages } from '../../lib/queue/split-into-messages.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { PagesServer } from '../support/pages-server.ts';

/* The engine's side of a run that compares: what a request with a `previous` record sends and records. */
describe('conditional requests in the engine (RFC 9110 §13)', () => {
  let server: PagesServer;

  beforeEach(async () => {
    server = await PagesServer.start();
  });

  afterEach(async () => {
    await closeEngines();
    await server.close();
  });

  const hash = 'a'.repeat(64);

  test('a 304 to the earlier ETag is OK, with the earlier hash, no body, and the updated validators', async () => {
    server.page('/p', 'page', 'both');
    const engine = localEngine({ bodyMode: 'keep' });

    const result = await engine.fetch({ url: server.url('/p'), previous: { ok: true, status: 200, sha256: hash, etag: '"v1"', lastModified: 'Mon, 01 Dec 2025 00:00:00 GMT' } });

    expect(server.requestsTo('/p')).toStrictEqual([{ path: '/p', ifNoneMatch: '"v1"', ifModifiedSince: 'Mon, 01 Dec 2025 00:00:00 GMT', status: 304 }]);
    expect(result).toMatchObject({ ok: true, status: 304, notModified: true, bytes: 0, sha256: hash, etag: '"v1"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT', change: 'unchanged', error: null });
    expect(result.body).toBeUndefined();
  });

  test('no validators when the earlier record failed, for a POST, or when the request sets its own', async () => {
    server.page('/p', 'page');
    const engine = localEngine();
    const previous = { ok: true, status: 200, etag: '"v1"' };

    const failedBefore = await engine.fetch({ url: server.url('/p?failed'), previous: { ok: false, status: 500, etag: '"v1"' } });
    const posted = await engine.fetch({ url: server.url('/p?post'), method: 'POST', body: 'x', previous });
    const own = await engine.fetch({ url: server.url('/p?own'), headers: { 'If-None-Match': '"mine"' }, previous });

    expect(server.requestsTo('/p').map((seen) => seen.ifNoneMatch)).toStrictEqual([undefined, undefined, '"mine"']);
    expect([failedBefore.change, posted.change, own.change]).toStrictEqual(['recovered', 'unchanged', 'unchanged']);
    // Compared, so hashed whatever the body mode (discard here).
    expect(failedBefore.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a request that does not compare carries no change and sends nothing conditional', async () => {
    server.page('/p', 'page');

    const result = await localEngine().fetch({ url: server.url('/p') });

    expect(result.change).toBeUndefined();
    expect(result.sha256).toBeUndefined();
    expect(result).toMatchObject({ ok: true, status: 200, etag: '"v1"' });
    expect(server.requestsTo('/p')).toStrictEqual([{ path: '/p', status: 200 }]);
  });

  test('the earlier record travels in queue messages: split, then parsed back the same', async () => {
    const requests = [
      { url: 'https://a.example/', previous: { ok: true, status: 200, sha256: hash, etag: '"x"' } },
      { url: 'https://b.example/', previous: null },
      { url: 'https://c.example/' },
    ];
    const bodies: string[] = [];
    for await (const item of splitIntoMessages(requests, {})) if (item.kind === 'message') bodies.push(item.body);

    expect(bodies.flatMap((body) => { const parsed = parseQueueMessage(body); return parsed.ok ? parsed.value.requests : []; })).toStrictEqual(requests);
    expect(parseQueueMessage(JSON.stringify({ requests: [{ url: 'https://a.example/', previous: { ok: true, status: 200, sha256: 'not hex' } }] })))
      .toMatchObject({ ok: false, error: expect.stringContaining('sha256 must be 64 lowercase hex digits') });
  });
});
