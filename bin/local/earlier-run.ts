import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import type { FetchRequest, PreviousRecord } from '../../lib/engine/fetch-types.ts';
import type { EarlierRecords } from '../../lib/handler/process-sqs-batch.ts';
import type { ParsedLine } from '../../lib/input/parse-request-line.ts';
import { readLineChunks } from '../../lib/input/read-lines.ts';
import { comparisonKey, earlierEntryOf, fromComparisonKey, previousOf, withChange, type MissingEntry } from '../../lib/engine/change.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `run --since FILE`: the records of an earlier run (its output, JSON lines), kept by URL (and
 * id) with what a comparison needs — OK or not, status, sha256, ETag, Last-Modified. The consumer
 * asks it for each request's `previous` record (the queue messages stay in their compact form),
 * refused lines get their change class here, and the URLs this run never met are reported as
 * missing. Lines that are not records are skipped; for a URL recorded twice, the last counts.
 *
 * Stored in columns (typed arrays, the hashes in one buffer) behind one map from key to slot,
 * not as an object per URL: a list of 100,000 URLs kept as objects made the garbage collector
 * mark half a million of them again and again, and `npm run bench:refetch` spent more CPU per
 * URL comparing than fetching everything again.
 */
class EarlierRun implements EarlierRecords {
  readonly #slots = new Map<string, number>();
  #size = 0;
  #ok = new Uint8Array(1024);
  #seen = new Uint8Array(1024);
  /** HTTP status, 0 for none. */
  #status = new Uint16Array(1024);
  /** 32 bytes per slot; `#hashed` says whether the slot has one. */
  #hashes = Buffer.alloc(1024 * 32);
  #hashed = new Uint8Array(1024);
  readonly #etags: Array<string | undefined> = [];
  /** Hashes after the ignore rules (`--ignore-in-body`), for the runs that had them. */
  readonly #normalized: Array<string | undefined> = [];
  readonly #lastModified: Array<string | undefined> = [];
  /** Lines of the file that were not blank, and how many of them were records. */
  lines = 0;
  records = 0;

  static async load(path: string): Promise<EarlierRun> {
    const run = new EarlierRun();
    const input = createReadStream(path);
    try {
      await once(input, 'open');
    } catch (error) {
      throw new UsageError(`--since: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    // A record is far shorter than the 64 KiB a line may hold: a longer line is no record.
    for await (const lines of readLineChunks(input)) {
      for (const line of lines) {
        if (line.text.trim() !== '') run.lines += 1;
        if (!line.truncated) run.#add(line.text);
      }
    }
    return run;
  }

  #add(text: string): void {
    const entry = earlierEntryOf(text);
    if (entry === undefined) return;
    this.records += 1;
    const { key, previous } = entry;
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#size++;
      this.#grow();
      this.#slots.set(key, slot);
    }
    this.#ok[slot] = previous.ok ? 1 : 0;
    this.#status[slot] = previous.status ?? 0;
    this.#hashed[slot] = previous.sha256 === undefined ? 0 : 1;
    if (previous.sha256 !== undefined) this.#hashes.write(previous.sha256, slot * 32, 'hex');
    this.#etags[slot] = previous.etag;
    this.#normalized[slot] = previous.normalizedSha256;
    this.#lastModified[slot] = previous.lastModified;
  }

  #grow(): void {
    if (this.#size <= this.#ok.length) return;
    const capacity = this.#ok.length * 2;
    const grown = <T extends Uint8Array | Uint16Array>(from: T, make: (n: number) => T): T => {
      const to = make(capacity);
      to.set(from);
      return to;
    };
    this.#ok = grown(this.#ok, (n) => new Uint8Array(n));
    this.#seen = grown(this.#seen, (n) => new Uint8Array(n));
    this.#hashed = grown(this.#hashed, (n) => new Uint8Array(n));
    this.#status = grown(this.#status, (n) => new Uint16Array(n));
    const hashes = Buffer.alloc(capacity * 32);
    this.#hashes.copy(hashes);
    this.#hashes = hashes;
  }

  #previousAt(slot: number): PreviousRecord {
    const status = this.#status[slot]!;
    return previousOf({
      ok: this.#ok[slot] === 1,
      status: status === 0 ? null : status,
      ...(this.#hashed[slot] === 1 ? { sha256: this.#hashes.toString('hex', slot * 32, slot * 32 + 32) } : {}),
      ...(this.#normalized[slot] === undefined ? {} : { normalizedSha256: this.#normalized[slot] }),
      ...(this.#etags[slot] === undefined ? {} : { etag: this.#etags[slot] }),
      ...(this.#lastModified[slot] === undefined ? {} : { lastModified: this.#lastModified[slot] }),
    });
  }

  /** The earlier record of a request's URL (and id), or null when the earlier run had none. */
  previousOf(request: Pick<FetchRequest, 'url' | 'id'>): PreviousRecord | null {
    const slot = this.#slots.get(comparisonKey(request.url, request.id));
    return slot === undefined ? null : this.#previousAt(slot);
  }

  /** Notes an input line's URL as met (not missing); a refused line gets its change class. */
  meet(line: ParsedLine): ParsedLine {
    if (line.kind === 'skip') return line;
    const at = line.kind === 'request' ? line.request : line.result;
    const slot = this.#slots.get(comparisonKey(at.url, at.id));
    if (slot !== undefined) this.#seen[slot] = 1;
    if (line.kind === 'request') return line;
    return { kind: 'invalid', result: withChange(slot === undefined ? null : this.#previousAt(slot), line.result) };
  }

  /** The earlier run's URLs this run never met (call once the input is read). */
  *missing(): Generator<MissingEntry> {
    for (const [key, slot] of this.#slots) {
      if (this.#seen[slot] === 1) continue;
      yield { ...fromComparisonKey(key), previous: this.#previousAt(slot) };
    }
  }
}

export { EarlierRun };
