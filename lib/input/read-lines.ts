import type { Readable } from 'node:stream';

interface Line {
  /** 1-based line number in the input. */
  readonly number: number;
  readonly text: string;
  /** True when the line was longer than `maxLength` and `text` holds only its start. */
  readonly truncated: boolean;
}

/**
 * Splits a byte stream into lines (LF or CRLF) without ever holding more than `maxLength`
 * characters of one line: a hostile 1 GB line costs 64 KiB, not 1 GB. Yields the lines each input
 * chunk completes, as one array: a consumer pays one async step per chunk, not one per line
 * (per-line async iteration showed as ~0.3 µs per URL in the local run's profile).
 */
async function* readLineChunks(input: Readable | AsyncIterable<Buffer | string>, maxLength = 64 * 1024): AsyncGenerator<Line[]> {
  let current = '';
  let truncated = false;
  let number = 0;
  const emit = (): Line => {
    number += 1;
    const text = current.endsWith('\r') ? current.slice(0, -1) : current;
    const line = { number, text, truncated };
    current = '';
    truncated = false;
    return line;
  };
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    const lines: Line[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      append(text.slice(start, newline));
      lines.push(emit());
      start = newline + 1;
    }
    append(text.slice(start));
    if (lines.length > 0) yield lines;
  }
  append(decoder.decode());
  if (current !== '' || truncated) yield [emit()];

  function append(piece: string): void {
    if (truncated) return;
    if (current.length + piece.length > maxLength) {
      current += piece.slice(0, maxLength - current.length);
      truncated = true;
    } else {
      current += piece;
    }
  }
}

/** The lines of a byte stream one by one; see `readLineChunks`. */
async function* readLines(input: Readable | AsyncIterable<Buffer | string>, maxLength = 64 * 1024): AsyncGenerator<Line> {
  for await (const lines of readLineChunks(input, maxLength)) yield* lines;
}

export { readLineChunks, readLines };
export type { Line };
