/**
 * FNV-1a (32 bits) over a string's UTF-16 code units: the same number in every process and
 * every release, so two runs cut the same URLs into the same partitions. Not for security.
 * (FNV: http://www.isthe.com/chongo/tech/comp/fnv/, IETF draft-eastlake-fnv.)
 */
function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export { stableHash };
