import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of the files under `dir` now (their sizes; a file removed while it is summed counts 0). */
async function bytesUnder(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += (await stat(join(entry.parentPath, entry.name))).size;
    } catch {
      // removed between the listing and its stat
    }
  }
  return total;
}

/**
 * The most bytes ever seen under `dir`, summed every `intervalMs` until `stop()` (which takes a
 * last sample): a process's temporary-disk peak when it is given `dir` as its TMPDIR (Node's
 * `os.tmpdir()` reads it: https://nodejs.org/api/os.html#ostmpdir). A sample, so a peak shorter
 * than the interval can be missed; the spills measured here rise and fall over seconds.
 */
function sampleDirBytes(dir: string, intervalMs = 100): { stop(): Promise<{ peakBytes: number; lastBytes: number; samples: number }> } {
  let peakBytes = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peakBytes = Math.max(peakBytes, await bytesUnder(dir));
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const lastBytes = await bytesUnder(dir);
      return { peakBytes: Math.max(peakBytes, lastBytes), lastBytes, samples: samples + 1 };
    },
  };
}

export { sampleDirBytes };
