import { accessSync, constants, createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { BodiesDirSink } from '../lib/sinks/bodies-dir-sink.ts';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { ResultSink } from '../lib/index.ts';
import { withWrite } from '../lib/sinks/result-sink.ts';
import { ResultWriteError } from '../lib/sinks/result-write-error.ts';
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

/** FILE, or stdin for `-`. A directory is a usage error, as a missing file is. */
async function openInput(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`cannot read ${path}: it is a directory`);
  return opened(createReadStream(path), path, 'read');
}

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

/** Creates the --bodies-dir directory, or explains as a usage error why it cannot be written. */
function prepareBodiesDir(dir: string | undefined): void {
  if (dir === undefined) return;
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`--bodies-dir: cannot write to ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The --bodies-dir wrapper around `sink` (its directory prepared), or `sink` itself. */
function withBodiesDir(sink: ResultSink, dir: string | undefined): ResultSink {
  return dir === undefined ? sink : new BodiesDirSink(dir).wrap(sink);
}

/** How an output path is named in messages. */
const outputName = (path: string): string => (path === '-' ? 'stdout' : path);

/**
 * `sink`, calling `onFailure` once on the first results write error (the caller stops its run or
 * worker: nothing more is fetched, received or acknowledged), then failing as before.
 */
function stoppingOnWriteFailure(sink: ResultSink, onFailure: (error: ResultWriteError) => void): ResultSink {
  let failed = false;
  return withWrite(sink, (results, origin) => sink.write(results, origin).catch((error: unknown) => {
    if (error instanceof ResultWriteError && !failed) {
      failed = true;
      onFailure(error);
    }
    throw error;
  }));
}

/**
 * The exit status after a results write error. A closed pipe (`| head`) is how a reader says it
 * has seen enough: quiet, with the status of a Unix tool stopped by SIGPIPE (128 + 13). Anything
 * else is one line naming the destination and the reason, and 1.
 */
function exitAfterWriteFailure(failure: ResultWriteError): number {
  if (failure.systemCode === 'EPIPE') return 141;
  process.stderr.write(`batchfetch: ${failure.message}\n`);
  return 1;
}

export { closeOutput, exitAfterWriteFailure, openInput, openOutput, outputName, prepareBodiesDir, stoppingOnWriteFailure, withBodiesDir };
