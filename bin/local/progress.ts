import type { PipelineProgress } from '../../lib/queue/queue-pipeline.ts';
import type { RunStats } from '../../lib/index.ts';

/**
 * A one-line progress display on a terminal's stderr, redrawn at most 4 times a second.
 * Does nothing when stderr is not a TTY (logs, CI, pipes stay clean).
 */
class ProgressLine {
  readonly #enabled: boolean;
  readonly #stats: RunStats;
  #progress: PipelineProgress | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(stats: RunStats, enabled = Boolean(process.stderr.isTTY)) {
    this.#stats = stats;
    this.#enabled = enabled;
    if (enabled) this.#timer = setInterval(() => this.#draw(), 250).unref();
  }

  update(progress: PipelineProgress): void {
    this.#progress = progress;
  }

  stop(): void {
    clearInterval(this.#timer);
    if (this.#enabled) process.stderr.write('\r\x1b[K');
  }

  #draw(): void {
    const summary = this.#stats.summary();
    const total = this.#progress ? this.#progress.enqueuedUrls + this.#progress.directRecords : 0;
    const of = this.#progress?.inputDone ? `/${total}` : `/${total}+`;
    const width = 24;
    const filled = this.#progress?.inputDone && total > 0 ? Math.round((summary.urls / total) * width) : 0;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    process.stderr.write(`\r\x1b[K${bar} ${summary.urls}${of} URLs  ${summary.urlsPerSecond}/s  errors ${summary.failed}`);
  }
}

export { ProgressLine };
