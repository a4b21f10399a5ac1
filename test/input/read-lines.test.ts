import { readLineChunks, readLines } from '../../lib/input/read-lines.ts';

async function collect(chunks: Array<string | Buffer>, maxLength?: number) {
  const lines = [];
  for await (const line of readLines((async function* () { yield* chunks; })(), maxLength)) lines.push(line);
  return lines;
}

describe('readLines', () => {
  test('splits LF and CRLF lines across chunk boundaries, keeping the last unterminated line', async () => {
    const lines = await collect(['a\r\nb', 'c\n\nd']);

    expect(lines.map((l) => l.text)).toStrictEqual(['a', 'bc', '', 'd']);
    expect(lines.map((l) => l.number)).toStrictEqual([1, 2, 3, 4]);
  });

  test('decodes a multi-byte character split between two chunks', async () => {
    const bytes = Buffer.from('http://example.com/é\n');
    const cut = bytes.indexOf(0xa9);

    const lines = await collect([bytes.subarray(0, cut), bytes.subarray(cut)]);

    expect(lines.map((l) => l.text)).toStrictEqual(['http://example.com/é']);
  });

  test('a line longer than the limit is cut and flagged, and the next line is intact', async () => {
    const lines = await collect(['x'.repeat(50), 'y'.repeat(50), '\nnext\n'], 64);

    expect(lines).toStrictEqual([
      { number: 1, text: 'x'.repeat(50) + 'y'.repeat(14), truncated: true },
      { number: 2, text: 'next', truncated: false },
    ]);
  });

  test('readLineChunks hands over the lines each input chunk completes, together', async () => {
    const chunks = [];
    for await (const lines of readLineChunks((async function* () { yield* ['a\nb\nc', 'd\n', 'no newline', '\ne']; })())) {
      chunks.push(lines.map((l) => l.text));
    }

    expect(chunks).toStrictEqual([['a', 'b'], ['cd'], ['no newline'], ['e']]);
  });
});
