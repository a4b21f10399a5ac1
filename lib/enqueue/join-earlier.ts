import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpillFiles } from '../core/spill-files.ts';
import { comparisonKey, earlierEntryOf, fromComparisonKey, type MissingEntry } from '../engine/change.ts';
import type { FetchRequest, PreviousRecord } from '../engine/fetch-types.ts';
import type { ParsedLine } from '../input/parse-request-line.ts';

/**
 * A list's requests, each with the earlier run's record of its URL (and id) as `previous` —
 * `null` when the earlier run had none — and the earlier URLs the list no longer has handed to
 * `onMissing`. A grace hash join (Kitsuregawa et al., 1983): both sides are first written to
 * partition files in `dir` (SpillFiles) by a hash of the URL, then joined a partition at a time, so
 * memory holds one partition's earlier records, never a list. Refused lines pass through first;
 * the requests follow partition by partition (their `line` keeps their place in the list).
 * Each partition's two files are removed as soon as it has been joined, so the join's files
 * shrink while its output is spilled again by origin (groupByOrigin), and the rest however it ends.
 */
async function* joinEarlier(
  lines: AsyncIterable<ParsedLine>,
  earlier: AsyncIterable<string>,
  options: { readonly dir: string; readonly onMissing: (missing: MissingEntry) => Promise<void> },
): AsyncGenerator<ParsedLine> {
  const work = await mkdtemp(join(options.dir, 'batchfetch-join-'));
  try {
    // Both sides spilled by URL alone, so a URL with and without an `id` meet in one partition.
    const requests = new SpillFiles(work, 'list');
    try {
      for await (const line of lines) {
        if (line.kind === 'request') await requests.write(line.request.url, JSON.stringify(line.request));
        else yield line;
      }
    } finally {
      await requests.close();
    }
    const records = new SpillFiles(work, 'earlier');
    try {
      for await (const text of earlier) {
        const entry = earlierEntryOf(text);
        if (entry) await records.write(entry.url, JSON.stringify([entry.key, entry.previous]));
      }
    } finally {
      await records.close();
    }
    for (let partition = 0; partition < records.paths.length; partition++) {
      // For a URL recorded twice (a list with a duplicate line), the last record counts.
      const previousByKey = new Map<string, PreviousRecord>();
      for await (const text of records.take(partition)) {
        const [key, previous] = JSON.parse(text) as [string, PreviousRecord];
        previousByKey.set(key, previous);
      }
      const met = new Set<string>();
      for await (const text of requests.take(partition)) {
        const request = JSON.parse(text) as FetchRequest;
        const key = comparisonKey(request.url, request.id);
        const previous = previousByKey.get(key) ?? null;
        if (previous) met.add(key);
        yield { kind: 'request', request: { ...request, previous } };
      }
      for (const [key, previous] of previousByKey) if (!met.has(key)) await options.onMissing({ ...fromComparisonKey(key), previous });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export { joinEarlier };
