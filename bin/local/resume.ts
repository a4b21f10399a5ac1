import { createReadStream, existsSync, openSync, closeSync, ftruncateSync, fstatSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ParsedLine } from '../../lib/input/parse-request-line.ts';

/** FNV-1a, 32 bits: enough to tell whether a line still holds the URL its record names. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * What an earlier run's output already holds: the input lines that have their record (by line
 * number, checked against the URL). A last line cut short by a killed run is cut off the file
 * first, so records appended after it stay one per line.
 */
class ResumeState {
  readonly #done = new Map<number, number>();
  skipped = 0;

  static async load(path: string): Promise<ResumeState> {
    const state = new ResumeState();
    if (!existsSync(path)) return state;
    dropPartialLastLine(path);
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const text of lines) {
      try {
        const record = JSON.parse(text) as { line?: unknown; url?: unknown };
        if (typeof record.line === 'number' && typeof record.url === 'string') state.#done.set(record.line, hash(record.url));
      } catch {
        // not a record (a foreign line): it simply does not count as done
      }
    }
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
