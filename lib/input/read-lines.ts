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
 * characters of one line: a hostile 1 GB line costs 64 KiB, not 1 GB.
 */
async function* readLines(input: Readable | AsyncIterable<Buffer | string>, maxLength = 64 * 1024): AsyncGenerator<Line> {
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
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      append(text.slice(start, newline));
      yield emit();
      start = newline + 1;
    }
    append(text.slice(start));
  }
  append(decoder.decode());
  if (current !== '' || truncated) yield emit();

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

export { readLines };
export type { Line };
