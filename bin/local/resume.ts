import { createReadStream, createWriteStream, existsSync, openSync, closeSync, ftruncateSync, fstatSync, readSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import type { ParsedLine } from '../../lib/input/parse-request-line.ts';
import { ErrorCode } from '../../lib/core/errors.ts';

/** FNV-1a, 32 bits: enough to tell whether a line still holds the URL its record names. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A line of the output as resume reads it: a record with its input line, or anything else. */
function recordOf(text: string): { line: number; url: string; aborted: boolean } | undefined {
  try {
    const record = JSON.parse(text) as { line?: unknown; url?: unknown; error?: { code?: unknown } | null };
    if (typeof record.line !== 'number' || typeof record.url !== 'string') return undefined;
    return { line: record.line, url: record.url, aborted: record.error?.code === ErrorCode.ABORTED };
  } catch {
    return undefined; // not a record (a foreign line): it simply does not count as done
  }
}

const linesOf = (path: string) => createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });

/**
 * What an earlier run's output already holds: the input lines that have their record (by line
 * number, checked against the URL). A last line cut short by a killed run is cut off the file
 * first, so records appended after it stay one per line. An `ABORTED` record is what a stop
 * (Ctrl-C, SIGTERM, --deadline) wrote for a URL it did not finish: not done. The file is rewritten
 * without those records (a new file renamed over it, so a crash leaves the old or the new one
 * whole) before new records are appended, so it ends with one final record per line.
 */
class ResumeState {
  readonly #done = new Map<number, number>();
  skipped = 0;
  /** `ABORTED` records removed from the file: their lines are fetched again. */
  aborted = 0;

  static async load(path: string): Promise<ResumeState> {
    const state = new ResumeState();
    if (!existsSync(path)) return state;
    dropPartialLastLine(path);
    for await (const text of linesOf(path)) {
      const record = recordOf(text);
      if (record === undefined) continue;
      if (record.aborted) state.aborted += 1;
      else state.#done.set(record.line, hash(record.url));
    }
    if (state.aborted > 0) await rewriteWithoutAborted(path);
    return state;
  }

  /** Lines read from input whose record is in the file become skips (and are counted). */
  filter(line: ParsedLine): ParsedLine {
    if (line.kind === 'skip') return line;
    const at = line.kind === 'request' ? line.request : line.result;
    if (at.line === undefined || this.#done.get(at.line) !== hash(at.url)) return line;
    this.skipped += 1;
    return { kind: 'skip' };
  }
}

/** Writes `path` again without its `ABORTED` records: to a new file beside it, renamed over it. */
async function rewriteWithoutAborted(path: string): Promise<void> {
  const next = `${path}.resume-${process.pid}`;
  const out = createWriteStream(next, { flags: 'wx' });
  for await (const text of linesOf(path)) {
    if (recordOf(text)?.aborted) continue;
    if (!out.write(`${text}\n`)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
  renameSync(next, path);
}

function dropPartialLastLine(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    if (tail[tail.length - 1] === 0x0a) return;
    const lastNewline = tail.lastIndexOf(0x0a);
    ftruncateSync(fd, lastNewline === -1 ? size - tail.length : size - tail.length + lastNewline + 1);
  } finally {
    closeSync(fd);
  }
}

export { ResumeState };
