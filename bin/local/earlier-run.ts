import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ChangeClass, previousOf, withChange } from '../../lib/engine/change.ts';
import type { PreviousRecord } from '../../lib/engine/fetch-types.ts';
import type { ParsedLine } from '../../lib/input/parse-request-line.ts';
import { UsageError } from '../usage-error.ts';

/** An earlier run's record of one URL, and whether this run has met the URL again. */
interface Earlier {
  readonly url: string;
  readonly id: string | undefined;
  readonly previous: PreviousRecord;
  seen: boolean;
}

/** A URL of the earlier run that this run's input does not have. */
interface MissingUrl {
  readonly url: string;
  readonly id?: string;
  readonly change: typeof ChangeClass.MISSING;
  readonly previous: PreviousRecord;
}

/** Records are matched by URL and, when a line gave one, its `id`; never by position. */
function keyOf(url: string, id: string | undefined): string {
  return id === undefined ? url : `${url}\u0000${id}`;
}

/**
 * `run --since FILE`: the records of an earlier run (its output, JSON lines), kept by URL (and
 * id) with what a comparison needs — OK or not, sha256, ETag, Last-Modified — so each request of
 * this run carries its `previous` record (conditional requests, a change class), and the URLs
 * this run does not have are reported as missing. Lines that are not records are skipped; for a
 * URL recorded twice, the last record counts.
 */
class EarlierRun {
  readonly #byKey = new Map<string, Earlier>();

  get size(): number {
    return this.#byKey.size;
  }

  static async load(path: string): Promise<EarlierRun> {
    const run = new EarlierRun();
    const input = createReadStream(path, 'utf8');
    try {
      await once(input, 'open');
    } catch (error) {
      throw new UsageError(`--since: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue; // not a record (a line cut short by a killed run, a foreign line)
      }
      if (typeof record.url !== 'string' || typeof record.ok !== 'boolean') continue;
      const id = typeof record.id === 'string' ? record.id : undefined;
      const key = keyOf(record.url, id);
      run.#byKey.set(key, {
        url: record.url,
        id,
        previous: previousOf({
          ok: record.ok,
          status: typeof record.status === 'number' ? record.status : null,
          ...(typeof record.sha256 === 'string' ? { sha256: record.sha256 } : {}),
          ...(typeof record.etag === 'string' ? { etag: record.etag } : {}),
          ...(typeof record.lastModified === 'string' ? { lastModified: record.lastModified } : {}),
        }),
        seen: false,
      });
    }
    return run;
  }

  /** The line with its earlier record attached (requests), or its change class (refused lines). */
  attach(line: ParsedLine): ParsedLine {
    if (line.kind === 'skip') return line;
    const at = line.kind === 'request' ? line.request : line.result;
    const earlier = this.#byKey.get(keyOf(at.url, at.id));
    if (earlier) earlier.seen = true;
    const previous = earlier?.previous ?? null;
    if (line.kind === 'invalid') return { kind: 'invalid', result: withChange(previous, line.result) };
    return { kind: 'request', request: { ...line.request, previous } };
  }

  /** The earlier run's URLs this run never met (call once the input is read). */
  *missing(): Generator<MissingUrl> {
    for (const { url, id, previous, seen } of this.#byKey.values()) {
      if (!seen) yield { url, ...(id === undefined ? {} : { id }), change: ChangeClass.MISSING, previous };
    }
  }
}

export { EarlierRun };
export type { MissingUrl };
