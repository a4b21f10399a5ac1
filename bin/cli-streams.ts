import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { UsageError } from './usage-error.ts';

/** Opens a file stream, or explains as a usage error why it cannot be opened. */
async function opened<T extends Readable | Writable>(stream: T, path: string, verb: 'read' | 'write'): Promise<T> {
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new UsageError(`cannot ${verb} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return stream;
}

/** FILE, or stdin for `-`. */
const openInput = (path: string): Promise<Readable> =>
  (path === '-' ? Promise.resolve(process.stdin) : opened(createReadStream(path), path, 'read'));

/** FILE (truncated, or appended to with `append`), or stdout for `-`. */
const openOutput = (path: string, append = false): Promise<Writable> =>
  (path === '-' ? Promise.resolve(process.stdout) : opened(createWriteStream(path, { flags: append ? 'a' : 'w' }), path, 'write'));

/**
 * Flushes an output opened by `openOutput` (stdout is drained, never ended). A stream that failed
 * (a full disk, a closed pipe) is not waited for: its 'drain' or 'finish' would never come.
 */
async function closeOutput(stream: Writable): Promise<void> {
  if (stream.errored || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    stream.once('error', () => resolve());
    if (stream === process.stdout) {
      if (stream.writableNeedDrain) stream.once('drain', () => resolve());
      else resolve();
      return;
    }
    stream.end(() => resolve());
  });
}

export { closeOutput, openInput, openOutput };
