import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRequestLine, type ParsedLine } from '../../lib/input/parse-request-line.ts';
import { groupByOrigin, type GroupOptions } from '../../lib/queue/group-by-origin.ts';

/*
 * Lists cut into messages by origin: every request comes out once with its line, one origin's
 * requests next to each other, memory bounded, spill files removed.
 */
const lineOf = (text: string, number: number): ParsedLine => parseRequestLine({ text, number, truncated: false });

describe('groupByOrigin', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'group-test-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** `origins` hosts with `each` URLs, interleaved (o0, o1, …, o0, o1, …), as parsed lines in chunks of 7. */
  async function* interleaved(origins: number, each: number): AsyncGenerator<ParsedLine[]> {
    let chunk: ParsedLine[] = [];
    for (let n = 0; n < origins * each; n++) {
      chunk.push(lineOf(`http://o${n % origins}.test/${n}`, n + 1));
      if (chunk.length === 7) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  async function grouped(lines: AsyncIterable<ParsedLine[]>, options: GroupOptions): Promise<ParsedLine[][]> {
    const out: ParsedLine[][] = [];
    for await (const group of groupByOrigin(lines, options)) out.push(group);
    return out;
  }

  const hostOf = (line: ParsedLine) => (line.kind === 'request' ? new URL(line.request.url).host : line.kind);
  /** Times the host changes along the output: one per origin when every origin is contiguous. */
  const runsOf = (groups: ParsedLine[][]) => groups.flat().filter((line, i, all) => i === 0 || hostOf(line) !== hostOf(all[i - 1]!)).length;
  const linesOf = (groups: ParsedLine[][]) => groups.flat().map((line) => (line.kind === 'request' ? line.request.line : undefined)).sort((a, b) => a! - b!);

  test('a list that fits in memory comes out one origin at a time, every line once, full groups as they fill', async () => {
    const groups = await grouped(interleaved(30, 12), { groupUrls: 5 });

    expect(linesOf(groups)).toStrictEqual(Array.from({ length: 360 }, (_, i) => i + 1));
    // 12 per origin in groups of 5: two full groups each, then the 2 left, origin by origin.
    expect(groups.filter((group) => group.length === 5)).toHaveLength(60);
    for (const group of groups) expect(new Set(group.map(hostOf)).size).toBe(1);
    expect(runsOf(groups.slice(60))).toBe(30);
  });

  test('a list longer than memory is spilled by origin and still comes out one origin at a time; the files are removed', async () => {
    const groups = await grouped(interleaved(300, 10), { groupUrls: 100, memoryUrls: 400, dir });

    expect(linesOf(groups)).toStrictEqual(Array.from({ length: 3_000 }, (_, i) => i + 1));
    expect(runsOf(groups)).toBe(300);
    expect(readdirSync(dir)).toStrictEqual([]);
  });

  test('a spilled partition is removed once read back: while groups come out, only the partitions not read yet remain', async () => {
    const remaining: number[][] = [];
    for await (const group of groupByOrigin(interleaved(300, 10), { groupUrls: 100, memoryUrls: 400, dir })) {
      const work = readdirSync(dir);
      const files = work.length === 0 ? [] : readdirSync(join(dir, work[0]!));
      if (group.length > 0) remaining.push(files.map((name) => Number(name.slice('origins-'.length))).sort((a, b) => a - b));
    }

    expect(remaining.length).toBeGreaterThan(0);
    // Partitions are read in order: what remains is always the partitions from some k on, and k only grows.
    let first = 0;
    for (const files of remaining) {
      const k = files[0] ?? 128;
      expect(files).toStrictEqual(Array.from({ length: 128 - k }, (_, i) => k + i));
      expect(k).toBeGreaterThanOrEqual(first);
      first = k;
    }
    expect(remaining[0]!.length).toBeGreaterThan(remaining.at(-1)!.length);
    expect(readdirSync(dir)).toStrictEqual([]);
  });

  test('without a spill directory, memory still bounds what is held: groups go out at the bound', async () => {
    const groups = await grouped(interleaved(300, 10), { groupUrls: 100, memoryUrls: 400 });

    expect(linesOf(groups)).toStrictEqual(Array.from({ length: 3_000 }, (_, i) => i + 1));
    expect(Math.max(...groups.map((group) => group.length))).toBeLessThanOrEqual(400);
    expect(runsOf(groups)).toBeGreaterThan(300);
  });

  test('lines that are not requests pass at once, in order', async () => {
    async function* lines(): AsyncGenerator<ParsedLine[]> {
      yield [lineOf('http://a.test/1', 1), lineOf('not a url', 2), { kind: 'skip' }];
      yield [lineOf('http://a.test/2', 3)];
    }

    const groups = await grouped(lines(), { groupUrls: 10 });

    expect(groups.flat().map((line) => line.kind)).toStrictEqual(['invalid', 'skip', 'request', 'request']);
  });

  test('a list that pauses (a pipe) has what it read so far sent on before the rest comes', async () => {
    let release!: () => void;
    const rest = new Promise<void>((resolve) => { release = resolve; });
    async function* slow(): AsyncGenerator<ParsedLine[]> {
      yield [lineOf('http://a.test/1', 1)];
      await rest;
      yield [lineOf('http://a.test/2', 2)];
    }
    const out = groupByOrigin(slow(), { groupUrls: 10, pauseMs: 20 });

    const first = await out.next();
    release();
    const second = await out.next();

    expect(first.value).toStrictEqual([{ kind: 'request', request: { url: 'http://a.test/1', line: 1 } }]);
    expect(second.value).toStrictEqual([{ kind: 'request', request: { url: 'http://a.test/2', line: 2 } }]);
    expect((await out.next()).done).toBe(true);
  });
});
