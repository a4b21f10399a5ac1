import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stableHash } from './stable-hash.ts';

/**
 * Partitions a spilled list is cut into. At 10 million URLs a partition holds ~80,000 lines (tens
 * of MB when one is read back into memory); the 128 files of a side are open at once, well inside
 * Lambda's 1,024 descriptors.
 */
const SPILL_PARTITIONS = 128;

/**
 * Lines appended to `SPILL_PARTITIONS` files (`<dir>/<name>-<i>`) by a stable hash of a key, so
 * that lines of one key, on every side spilled with the same kind of key, meet in the partition
 * of the same index. Honours each stream's back-pressure. Once closed, each partition is read
 * once (`take`), and its file goes as soon as it has been read: a compared enqueue spills twice
 * into one /tmp (the join, then the grouping by origin of what the join yields), and the first
 * spill's files shrink while the second grows instead of both standing whole at once.
 */
class SpillFiles {
  readonly paths: readonly string[];
  readonly #streams: WriteStream[];
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;

  constructor(dir: string, name: string) {
    this.paths = Array.from({ length: SPILL_PARTITIONS }, (_, i) => join(dir, `${name}-${i}`));
    this.#streams = this.paths.map((path) => createWriteStream(path).on('error', (error) => {
      this.#failure ??= error;
    }));
  }

  async write(key: string, line: string): Promise<void> {
    if (this.#failure) throw this.#failure;
    const stream = this.#streams[stableHash(key) % SPILL_PARTITIONS]!;
    if (!stream.write(`${line}\n`)) await once(stream, 'drain');
  }

  /**
   * The lines of partition `index` (after `close`), its file removed once they have been read or
   * the reader stops: a partition is read once.
   */
  async* take(index: number): AsyncGenerator<string> {
    const path = this.paths[index]!;
    try {
      yield* fileLines(path);
    } finally {
      await rm(path, { force: true });
    }
  }

  /** Ends every file; safe to call again (a caller's `finally` after its normal close). */
  async close(): Promise<void> {
    this.#closed ??= Promise.all(this.#streams.map((stream) => new Promise<void>((resolve) => {
      stream.end(resolve);
    }))).then(() => undefined);
    await this.#closed;
    if (this.#failure) throw this.#failure;
  }
}

async function* fileLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (line !== '') yield line;
  } finally {
    lines.close();
  }
}

export { SpillFiles };
