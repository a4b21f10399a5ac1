import type { ContinuedUrl } from './job-store.ts';

/*
 * The URLs a message handed on in its continuation, written beside its stored records (S3 user
 * metadata, `x-amz-meta-handed-on`), so that whichever delivery counts the message counts what
 * was stored: the records object alone says which URLs of the message have a record in it and
 * which went on. S3 allows 2 KB of user metadata per object
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html#UserMetadata), so:
 *
 *   exact:  `<attempts>:<ranges>;…`  ranges of message indices, base 36 (`1:0-2s;2:2t`)
 *   bitmap: `*<attempts>:<base64url>` one bit per index, when the exact form does not fit
 *
 * The bitmap keeps the set exact (10,000 indices, a message's most, take 1,667 characters) and
 * gives every URL the fewest attempts any of them had spent: a URL may get attempts back, never
 * lose one. It is written only for a large message cut off at scattered places.
 */

/** The longest value written, well inside S3's 2 KB of user metadata with its name. */
const MAX_ENCODED = 1_800;
const RADIX = 36;

function encodeHandedOn(handedOn: readonly ContinuedUrl[]): string {
  if (handedOn.length === 0) return '';
  const byAttempts = new Map<number, number[]>();
  for (const [index, attempts] of handedOn) {
    let indices = byAttempts.get(attempts);
    if (indices === undefined) byAttempts.set(attempts, indices = []);
    indices.push(index);
  }
  const exact = [...byAttempts].sort(([a], [b]) => a - b)
    .map(([attempts, indices]) => `${attempts}:${ranges(indices)}`).join(';');
  if (exact.length <= MAX_ENCODED) return exact;
  const fewest = Math.min(...byAttempts.keys());
  const bits = Buffer.alloc(Math.ceil((Math.max(...handedOn.map(([index]) => index)) + 1) / 8));
  for (const [index] of handedOn) bits[index >> 3]! |= 1 << (index & 7);
  return `*${fewest}:${bits.toString('base64url')}`;
}

/** The handed-on URLs of an encoded value, by index; throws on a value this module did not write. */
function decodeHandedOn(encoded: string | undefined): ContinuedUrl[] {
  if (encoded === undefined || encoded === '') return [];
  const handedOn: ContinuedUrl[] = [];
  if (encoded.startsWith('*')) {
    const [attempts, bitmap] = splitPair(encoded.slice(1));
    const bits = Buffer.from(bitmap, 'base64url');
    for (let index = 0; index < bits.length * 8; index++) if (bits[index >> 3]! & (1 << (index & 7))) handedOn.push([index, attempts]);
    return handedOn;
  }
  for (const group of encoded.split(';')) {
    const [attempts, list] = splitPair(group);
    for (const range of list.split(',')) {
      const [first, last = first] = range.split('-').map((n) => parseBase36(n, encoded));
      for (let index = first!; index <= last!; index++) handedOn.push([index, attempts]);
    }
  }
  return handedOn.sort(([a], [b]) => a - b);
}

function ranges(indices: number[]): string {
  indices.sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < indices.length;) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(i === j ? indices[i]!.toString(RADIX) : `${indices[i]!.toString(RADIX)}-${indices[j]!.toString(RADIX)}`);
    i = j + 1;
  }
  return parts.join(',');
}

function splitPair(group: string): [number, string] {
  const colon = group.indexOf(':');
  if (colon <= 0) throw new Error(`not a handed-on value: '${group.slice(0, 40)}'`);
  const attempts = Number(group.slice(0, colon));
  if (!Number.isInteger(attempts) || attempts < 0) throw new Error(`not a handed-on value: '${group.slice(0, 40)}'`);
  return [attempts, group.slice(colon + 1)];
}

function parseBase36(text: string, whole: string): number {
  if (!/^[0-9a-z]{1,4}$/.test(text)) throw new Error(`not a handed-on value: '${whole.slice(0, 40)}'`);
  return Number.parseInt(text, RADIX);
}

export { decodeHandedOn, encodeHandedOn };
