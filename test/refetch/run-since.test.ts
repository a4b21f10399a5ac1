import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PagesServer } from '../support/pages-server.ts';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

/*
 * A list fetched again with `batchfetch run --since`: real servers with ETag, Last-Modified,
 * neither, and validators ignored; pages that change, break and recover between the runs; a
 * list that gains, loses and reorders lines. Every change class is exact.
 */
describe('batchfetch run --since (a list fetched again)', () => {
  let server: PagesServer;
  let dir: string;

  beforeEach(async () => {
    server = await PagesServer.start();
    dir = tempDir('batchfetch-since-');
  });

  afterEach(async () => {
    await server.close();
  });

  const run = (list: string[], out: string, ...flags: string[]) => {
    const input = join(dir, `${out}.txt`);
    writeFileSync(input, `${list.join('\n')}\n`);
    return runCli(['run', input, '--allow-network', '127.0.0.0/8', '--retries', '0', '--out', join(dir, out), ...flags]);
  };
  const recordsOf = (out: string) => jsonLines(readFileSync(join(dir, out), 'utf8'));
  const byUrl = (records: Array<Record<string, unknown>>) => new Map(records.map((record) => [record.url as string, record]));

  test('conditional requests, content hashes and a change class on every record; the report lists what changed', async () => {
    server
      .page('/etag', 'etag page').page('/lm', 'last-modified page', 'last-modified').page('/both', 'both', 'both')
      .page('/plain', 'no validators', 'none').page('/ignorer', 'ignores validators', 'ignored')
      .page('/edited', 'first text').page('/edited-plain', 'first text', 'none')
      .page('/breaks', 'fine').page('/recovers', 'fine').page('/still', 'x').page('/dropped', 'gone next time')
      .page('/target', 'redirect target');
    server.fail('/recovers', 500).fail('/still', 404);
    const first = ['/etag', '/lm', '/both', '/plain', '/ignorer', '/edited', '/edited-plain', '/breaks', '/recovers', '/still', '/dropped', '/redirect-to/target']
      .map((path) => server.url(path));
    // The first run of a series hashes bodies (`--body hash`): a later run compares content.
    expect((await run(first, 'first.jsonl', '--body', 'hash')).code).toBe(0);
    const earlier = byUrl(recordsOf('first.jsonl'));
    expect(earlier.get(server.url('/etag'))).toMatchObject({ ok: true, etag: '"v1"' });
    expect(earlier.get(server.url('/lm'))).toMatchObject({ ok: true, lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' });
    // The first run sent no validators: it had none.
    expect(server.seen.filter((seen) => seen.ifNoneMatch !== undefined || seen.ifModifiedSince !== undefined)).toStrictEqual([]);

    // Between the runs: two pages edited, one breaks, one recovers; the list drops a line,
    // gains one and is reordered.
    server.change('/edited', 'second text').change('/edited-plain', 'second text').fail('/breaks', 503).fail('/recovers', undefined).page('/added', 'new page');
    const bytesBefore = server.bodyBytesSent;
    const seenBefore = server.seen.length;
    const second = [...first.filter((url) => !url.endsWith('/dropped')), server.url('/added')].reverse();
    const rerun = await run(second, 'second.jsonl', '--since', join(dir, 'first.jsonl'), '--changes', join(dir, 'changes.jsonl'),
      '--summary-json', join(dir, 'summary.json'));

    expect(rerun.code).toBe(0);
    const now = byUrl(recordsOf('second.jsonl'));
    const change = (path: string) => now.get(server.url(path))?.change;
    expect(Object.fromEntries(['/etag', '/lm', '/both', '/plain', '/ignorer', '/edited', '/edited-plain', '/breaks', '/recovers', '/still', '/added', '/redirect-to/target']
      .map((path) => [path, change(path)]))).toStrictEqual({
      '/etag': 'unchanged', '/lm': 'unchanged', '/both': 'unchanged', '/plain': 'unchanged', '/ignorer': 'unchanged',
      '/edited': 'changed', '/edited-plain': 'changed', '/breaks': 'broke', '/recovers': 'recovered', '/still': 'still-failing',
      '/added': 'new', '/redirect-to/target': 'unchanged',
    });
    // A 304 is a success that carries the earlier content hash and no body.
    for (const path of ['/etag', '/lm', '/both']) {
      expect(now.get(server.url(path))).toMatchObject({ ok: true, status: 304, notModified: true, bytes: 0, sha256: earlier.get(server.url(path))!.sha256 });
    }
    // Validators as RFC 9110 §13 has them: If-None-Match when there is an ETag, else If-Modified-Since.
    const sent = server.seen.slice(seenBefore);
    expect(sent.find((seen) => seen.path === '/etag')).toMatchObject({ ifNoneMatch: '"v1"', status: 304 });
    expect(sent.find((seen) => seen.path === '/lm')).toMatchObject({ ifModifiedSince: 'Thu, 01 Jan 2026 00:00:00 GMT', status: 304 });
    expect(sent.find((seen) => seen.path === '/plain')).toStrictEqual({ path: '/plain', status: 200 });
    // Validators never cross to another URL through a redirect.
    expect(sent.find((seen) => seen.path === '/target')).toStrictEqual({ path: '/target', status: 200 });
    // Only the edited, recovered, new, ignoring and validator-less pages sent a body again (and
    // the two failing pages their error text).
    const resent = ['/plain', '/ignorer', '/edited', '/edited-plain', '/recovers', '/added', '/target']
      .reduce((sum, path) => sum + Buffer.byteLength(server.requestsTo(path).at(-1)!.status === 200 ? pageBody(path) : ''), 0);
    expect(server.bodyBytesSent - bytesBefore).toBe(resent + 2 * Buffer.byteLength('broken'));

    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.changes).toStrictEqual({ unchanged: 6, changed: 2, broke: 1, recovered: 1, 'still-failing': 1, new: 1, missing: 1 });
    expect(rerun.stderr).toContain('changes since the earlier run: changed 2, broke 1, recovered 1, new 1, missing 1, still-failing 1, unchanged 6, unknown 0');

    const report = jsonLines(readFileSync(join(dir, 'changes.jsonl'), 'utf8'));
    expect(report.map((line) => [new URL(line.url as string).pathname, line.change]).sort()).toStrictEqual([
      ['/added', 'new'], ['/breaks', 'broke'], ['/dropped', 'missing'], ['/edited', 'changed'], ['/edited-plain', 'changed'], ['/recovers', 'recovered'],
    ]);
    expect(report.find((line) => line.change === 'missing')).toStrictEqual({
      url: server.url('/dropped'), change: 'missing', previous: { ok: true, status: 200, sha256: earlier.get(server.url('/dropped'))!.sha256, etag: '"v1"' },
    });
  });

  test('an earlier run that kept no hash leaves a page without validators unknown; the compared run hashes, so the next one knows', async () => {
    server.page('/plain', 'no validators', 'none').page('/etag', 'etag page');
    const list = [server.url('/plain'), server.url('/etag')];
    expect((await run(list, 'first.jsonl')).code).toBe(0);
    expect(recordsOf('first.jsonl').every((record) => record.sha256 === undefined)).toBe(true);

    expect((await run(list, 'second.jsonl', '--since', join(dir, 'first.jsonl'))).code).toBe(0);
    expect(recordsOf('second.jsonl').map((record) => [new URL(record.url as string).pathname, record.change]).sort())
      .toStrictEqual([['/etag', 'unchanged'], ['/plain', 'unknown']]);
    expect(recordsOf('second.jsonl').find((record) => record.url === server.url('/plain'))!.sha256).toMatch(/^[0-9a-f]{64}$/);

    expect((await run(list, 'third.jsonl', '--since', join(dir, 'second.jsonl'))).code).toBe(0);
    expect(recordsOf('third.jsonl').map((record) => record.change)).toStrictEqual(['unchanged', 'unchanged']);
  });

  test('--ignore-in-body: a page whose only change is a timestamp stays unchanged; a real edit is still changed', async () => {
    const at = (time: string, text: string) => `<p>${text}</p><footer>generated <time>${time}</time></footer>`;
    server.page('/stamped', at('10:00:01', 'same text'), 'none').page('/edited', at('10:00:01', 'first text'), 'none');
    const list = [server.url('/stamped'), server.url('/edited')];
    const ignore = ['--body', 'hash', '--ignore-in-body', '<time>[^<]*</time>'];
    expect((await run(list, 'first.jsonl', ...ignore)).code).toBe(0);
    expect(recordsOf('first.jsonl').every((record) => /^[0-9a-f]{64}$/.test(record.normalizedSha256 as string))).toBe(true);

    server.change('/stamped', at('11:30:59', 'same text')).change('/edited', at('11:30:59', 'second text'));
    expect((await run(list, 'second.jsonl', '--since', join(dir, 'first.jsonl'), ...ignore)).code).toBe(0);
    const second = byUrl(recordsOf('second.jsonl'));
    expect(second.get(server.url('/stamped'))).toMatchObject({ change: 'unchanged' });
    expect(second.get(server.url('/edited'))).toMatchObject({ change: 'changed' });
    // The raw bytes did change: sha256 (what stored bodies are named by) still says so.
    expect(second.get(server.url('/stamped'))!.sha256).not.toBe(byUrl(recordsOf('first.jsonl')).get(server.url('/stamped'))!.sha256);

    // Without the rule, the timestamp alone makes the page changed.
    expect((await run(list, 'third.jsonl', '--since', join(dir, 'second.jsonl'), '--body', 'hash')).code).toBe(0);
    server.change('/stamped', at('12:00:00', 'same text'));
    expect((await run(list, 'fourth.jsonl', '--since', join(dir, 'third.jsonl'), '--body', 'hash')).code).toBe(0);
    expect(byUrl(recordsOf('fourth.jsonl')).get(server.url('/stamped'))).toMatchObject({ change: 'changed' });

    const refused = await runCli(['run', '-', '--ignore-in-body', '(unclosed']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--ignore-in-body');
  });

  test('a 304 to a request that sent no validator is not a success', async () => {
    expect((await run([server.url('/always-304')], 'first.jsonl')).code).toBe(0);

    expect(recordsOf('first.jsonl')).toMatchObject([{ ok: false, status: 304, error: { code: 'HTTP_STATUS' } }]);
  });

  test('--changes without --since is a usage error', async () => {
    const refused = await runCli(['run', '-', '--changes', join(dir, 'c.jsonl')]);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--changes FILE reports the changes since an earlier run: give --since FILE too');
  });
});

/** The bodies the test's pages have after the change between the runs. */
function pageBody(path: string): string {
  return {
    '/plain': 'no validators', '/ignorer': 'ignores validators', '/edited': 'second text', '/edited-plain': 'second text',
    '/recovers': 'fine', '/added': 'new page', '/target': 'redirect target',
  }[path] ?? '';
}
