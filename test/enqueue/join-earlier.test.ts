import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MissingEntry } from '../../lib/engine/change.ts';
import { joinEarlier } from '../../lib/enqueue/join-earlier.ts';
import type { ParsedLine } from '../../lib/input/parse-request-line.ts';
import { parseRequestLine } from '../../lib/input/parse-request-line.ts';
import { groupByOrigin } from '../../lib/queue/group-by-origin.ts';
import { tempDir } from '../support/temp-dir.ts';

async function* linesOf(texts: string[]): AsyncGenerator<ParsedLine> {
  let number = 0;
  for (const text of texts) yield parseRequestLine({ number: ++number, text, truncated: false });
}

async function* recordsOf(records: object[]): AsyncGenerator<string> {
  for (const record of records) yield JSON.stringify(record);
  yield 'not a record';
}

describe('joinEarlier (a list matched with an earlier job\'s records, through partition files)', () => {
  test('each request gets the record of its URL and id, whatever the order; lost URLs are missing; refused lines pass; the files go', async () => {
    const dir = tempDir('batchfetch-join-');
    const list = Array.from({ length: 2_000 }, (_, i) => `https://h${i % 37}.example/p/${i}`);
    const earlier = [
      ...list.slice(0, 1_500).reverse().map((url, n) => ({ url, ok: n % 3 !== 0, status: n % 3 !== 0 ? 200 : 500, etag: `"${n}"` })),
      { url: 'https://gone.example/', ok: true, status: 200, sha256: 'b'.repeat(64) },
      { url: list[0], id: 'with-id', ok: true, status: 200 },
      // A URL recorded twice: the last record counts.
      { url: list[1], ok: true, status: 203 },
    ];
    const missing: MissingEntry[] = [];
    const joined: ParsedLine[] = [];
    for await (const line of joinEarlier(linesOf([...list, 'not a url', JSON.stringify({ url: list[0], id: 'with-id' })]), recordsOf(earlier), {
      dir, onMissing: async (entry) => { missing.push(entry); },
    })) joined.push(line);

    expect(joined.filter((line) => line.kind === 'invalid')).toHaveLength(1);
    const requests = joined.flatMap((line) => (line.kind === 'request' ? [line.request] : []));
    expect(requests).toHaveLength(2_001);
    expect(new Set(requests.map((request) => request.line)).size).toBe(2_001);
    const byKey = new Map(requests.map((request) => [`${request.url} ${request.id ?? ''}`, request.previous]));
    expect(byKey.get(`${list[0]} with-id`)).toStrictEqual({ ok: true, status: 200 });
    expect(byKey.get(`${list[1]} `)).toStrictEqual({ ok: true, status: 203 });
    expect(byKey.get(`${list[2]} `)).toMatchObject({ etag: `"${1_500 - 1 - 2}"` });
    expect(requests.filter((request) => request.previous === null).map((request) => request.url).sort()).toStrictEqual(list.slice(1_500).sort());
    expect(missing).toStrictEqual([{ url: 'https://gone.example/', previous: { ok: true, status: 200, sha256: 'b'.repeat(64) } }]);
    expect(readdirSync(dir)).toStrictEqual([]);
  });

  test('a consumer that stops early still leaves no partition files', async () => {
    const dir = tempDir('batchfetch-join-');
    const joined = joinEarlier(linesOf(['https://a.example/1', 'https://a.example/2']), recordsOf([]), { dir, onMissing: async () => {} });
    const first = await joined.next();
    expect(first.value).toMatchObject({ kind: 'request' });
    await joined.return(undefined);
    expect(readdirSync(dir)).toStrictEqual([]);
  });

  test('while the join\'s output is spilled again by origin, each joined partition\'s files are already gone', async () => {
    const dir = tempDir('batchfetch-join-');
    const list = Array.from({ length: 3_000 }, (_, i) => `https://h${i % 50}.example/p/${i}`);
    const earlier = list.map((url) => ({ url, ok: true, status: 200, etag: '"e"' }));
    const workOf = (prefix: string) => readdirSync(dir).filter((name) => name.startsWith(prefix)).map((name) => join(dir, name))[0];
    /** The partition numbers of the files named `<side>-<n>` in the join's directory, sorted. */
    const partitions = (files: string[], side: string) => files.filter((name) => name.startsWith(`${side}-`)).map((name) => Number(name.slice(side.length + 1))).sort((a, b) => a - b);
    const suffixFrom = (first: number) => Array.from({ length: 128 - first }, (_, i) => first + i);
    const snapshots: Array<{ list: number[]; earlier: number[]; groupingBytes: number }> = [];
    // What the enqueuer does: the joined requests grouped by origin, spilled past the memory bound.
    async function* watched(): AsyncGenerator<ParsedLine> {
      for await (const line of joinEarlier(linesOf(list), recordsOf(earlier), { dir, onMissing: async () => {} })) {
        const files = readdirSync(workOf('batchfetch-join-')!);
        const grouping = workOf('batchfetch-origins-');
        const groupingBytes = grouping === undefined ? 0 : readdirSync(grouping).reduce((sum, name) => sum + statSync(join(grouping, name)).size, 0);
        snapshots.push({ list: partitions(files, 'list'), earlier: partitions(files, 'earlier'), groupingBytes });
        yield line;
      }
    }
    let requests = 0;
    for await (const group of groupByOrigin(watched(), { groupUrls: 100, memoryUrls: 200, dir })) requests += group.length;

    expect(requests).toBe(3_000);
    expect(snapshots).toHaveLength(3_000);
    // At a request of partition p: the list files of p (being read) and after, the earlier files after p; p never goes back.
    let previous = 0;
    for (const { list: lists, earlier: records } of snapshots) {
      const p = lists[0]!;
      expect(lists).toStrictEqual(suffixFrom(p));
      expect(records).toStrictEqual(suffixFrom(p + 1));
      expect(p).toBeGreaterThanOrEqual(previous);
      previous = p;
    }
    // The last requests come from the last partitions: by then the join holds one file, and the
    // grouping's spill, empty at the first request, holds most of the list.
    expect(snapshots.at(-1)!.list).toStrictEqual([127]);
    expect(snapshots[0]!.groupingBytes).toBe(0);
    expect(snapshots.at(-1)!.groupingBytes).toBeGreaterThan(0);
    expect(readdirSync(dir)).toStrictEqual([]);
  });
});
