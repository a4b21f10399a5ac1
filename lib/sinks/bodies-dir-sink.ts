import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FetchResult } from '../engine/fetch-types.ts';
import type { StoredRecord } from './result-json.ts';
import { withWrite, type ResultOrigin, type ResultSink } from './result-sink.ts';

/** Bodies already written by this process (content addressing makes a second write pointless). */
const MAX_REMEMBERED_BODIES = 100_000;

/**
 * Kept bodies as files named by their sha256 in `dir` (each written once, whatever the number of
 * URLs that return it), the record naming the file in `bodyFile` instead of carrying the body
 * as base64. A record is handed on only once its body file is written.
 */
class BodiesDirSink {
  readonly #dir: string;
  readonly #written = new Set<string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** `inner`, with each record's kept body written to the directory first. */
  wrap(inner: ResultSink): ResultSink {
    return withWrite(inner, async (results: readonly FetchResult[], origin?: ResultOrigin) => {
      const stored = await Promise.all(results.map((result) => this.#store(result)));
      await inner.write(stored, origin);
    });
  }

  async #store(result: FetchResult): Promise<StoredRecord> {
    if (result.body === undefined || result.sha256 === undefined) return result;
    const { body, ...rest } = result;
    const path = join(this.#dir, result.sha256);
    if (!this.#written.has(result.sha256)) {
      try {
        await writeFile(path, Buffer.from(body, 'base64'), { flag: 'wx' });
      } catch (error) {
        // Already there: the same content from an earlier URL or run.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (this.#written.size >= MAX_REMEMBERED_BODIES) this.#written.clear();
      this.#written.add(result.sha256);
    }
    return { ...rest, bodyFile: path };
  }
}

export { BodiesDirSink };
