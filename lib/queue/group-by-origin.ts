import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpillFiles } from '../core/spill-files.ts';
import type { FetchRequest } from '../engine/fetch-types.ts';
import { originOf } from '../engine/request-target.ts';
import type { ParsedLine } from '../input/parse-request-line.ts';

interface GroupOptions {
  /** URLs of one origin that fill a message: a group this big goes out at once. */
  readonly groupUrls: number;
  /** Requests held in memory at most. @default 50_000 */
  readonly memoryUrls?: number;
  /**
   * Where a list longer than `memoryUrls` is spilled, one file per partition of origins (about
   * 100 bytes per URL). @default none: at the bound, the groups held go out as they are
   */
  readonly dir?: string;
  /** A list that pauses this long (a pipe) has what it read so far sent on. @default never */
  readonly pauseMs?: number;
}

/** Requests grouped by origin in memory, bounded: a full group, or every group at the bound, goes out. */
class OriginGroups {
  readonly #groups = new Map<string, FetchRequest[]>();
  readonly #groupUrls: number;
  readonly #capacity: number;
  #count = 0;

  constructor(groupUrls: number, capacity: number) {
    this.#groupUrls = groupUrls;
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#count;
  }

  /** Adds `request`; returns the groups to send now (none, its full group, or all at the bound). */
  add(request: FetchRequest): FetchRequest[][] {
    const origin = originOf(request.url);
    let group = this.#groups.get(origin);
    if (group === undefined) {
      group = [];
      this.#groups.set(origin, group);
    }
    group.push(request);
    this.#count += 1;
    if (group.length >= this.#groupUrls) {
      this.#groups.delete(origin);
      this.#count -= group.length;
      return [group];
    }
    return this.#count >= this.#capacity ? this.drain() : [];
  }

  /** Every group, in the order their origins first came. */
  drain(): FetchRequest[][] {
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    this.#count = 0;
    return groups;
  }
}

const asLines = (group: readonly FetchRequest[]): ParsedLine[] => group.map((request) => ({ kind: 'request', request }));

/**
 * A list's lines with the requests of one origin next to each other, so that the messages they
 * are cut into carry one origin each as far as they can, and a consumer reuses one connection
 * for a message's URLs instead of opening one per URL (bench:origins). Lines that are not
 * requests pass at once. Memory holds `memoryUrls` requests at most: a shorter list is grouped in
 * memory; a longer one, given a `dir`, is first written to partition files (SpillFiles) by a
 * hash of each URL's origin (every URL of an origin in one file), then read back a file at a time
 * (each removed once read) and grouped again, bounded the same way; without a `dir`, it is
 * grouped `memoryUrls` lines at a time. A request keeps its `line`, so records still name their
 * input line. Input comes as lines or as chunks of lines (the local run reads chunks); output as
 * chunks.
 */
async function* groupByOrigin(input: AsyncIterable<ParsedLine | readonly ParsedLine[]>, options: GroupOptions): AsyncGenerator<ParsedLine[]> {
  const capacity = options.memoryUrls ?? 50_000;
  const groups = new OriginGroups(options.groupUrls, capacity);
  const source = input[Symbol.asyncIterator]();
  let spill: { readonly work: string; readonly files: SpillFiles } | undefined;
  const spillRequest = (request: FetchRequest) => spill!.files.write(originOf(request.url), JSON.stringify(request));
  try {
    for (let next = source.next(); ;) {
      const read = await pausedOrNext(next, groups.size > 0 && spill === undefined ? options.pauseMs : undefined);
      if (read === 'paused') {
        // The list comes slowly: what has been read goes out rather than wait for the rest.
        for (const group of groups.drain()) yield asLines(group);
        continue;
      }
      if (read.done === true) break;
      next = source.next();
      const passing: ParsedLine[] = [];
      for (const line of 'kind' in read.value ? [read.value] : read.value) {
        if (line.kind !== 'request') {
          passing.push(line);
        } else if (spill !== undefined) {
          await spillRequest(line.request);
        } else {
          for (const group of groups.add(line.request)) {
            if (group.length >= options.groupUrls || options.dir === undefined) {
              yield asLines(group);
            } else {
              // The bound, reached with groups still small: spill this list (these first).
              spill ??= await openSpill(options.dir);
              for (const request of group) await spillRequest(request);
            }
          }
        }
      }
      if (passing.length > 0) yield passing;
    }
    if (spill === undefined) {
      for (const group of groups.drain()) yield asLines(group);
      return;
    }
    await spill.files.close();
    for (let index = 0; index < spill.files.paths.length; index++) {
      const partition = new OriginGroups(options.groupUrls, capacity);
      for await (const text of spill.files.take(index)) {
        for (const group of partition.add(JSON.parse(text) as FetchRequest)) yield asLines(group);
      }
      for (const group of partition.drain()) yield asLines(group);
    }
  } finally {
    if (spill !== undefined) {
      await spill.files.close().catch(() => undefined);
      await rm(spill.work, { recursive: true, force: true });
    }
  }
}

async function openSpill(dir: string): Promise<{ work: string; files: SpillFiles }> {
  const work = await mkdtemp(join(dir, 'batchfetch-origins-'));
  return { work, files: new SpillFiles(work, 'origins') };
}

/** `next`, or 'paused' when it has not come within `pauseMs` (undefined: wait for it). */
async function pausedOrNext<T>(next: Promise<IteratorResult<T>>, pauseMs: number | undefined): Promise<IteratorResult<T> | 'paused'> {
  if (pauseMs === undefined) return next;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([next, new Promise<'paused'>((resolve) => { timer = setTimeout(() => resolve('paused'), pauseMs); })]);
  } finally {
    clearTimeout(timer);
  }
}

export { groupByOrigin };
export type { GroupOptions };
