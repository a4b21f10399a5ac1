import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Appends lines to one file per partition, honouring each stream's back-pressure. */
class SpillFiles {
  readonly paths: readonly string[];
  readonly #streams: WriteStream[];
  #failure: Error | undefined;

  constructor(paths: readonly string[]) {
    this.paths = paths;
    this.#streams = paths.map((path) => createWriteStream(path).on('error', (error) => {
      this.#failure ??= error;
    }));
  }

  async write(partition: number, line: string): Promise<void> {
    if (this.#failure) throw this.#failure;
    const stream = this.#streams[partition]!;
    if (!stream.write(`${line}\n`)) await once(stream, 'drain');
  }

  async close(): Promise<void> {
    await Promise.all(this.#streams.map((stream) => new Promise<void>((resolve) => {
      stream.end(resolve);
    })));
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

export { fileLines, SpillFiles };
