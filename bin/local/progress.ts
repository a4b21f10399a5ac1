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
    process.stderr.write(`\r\x1b[K${this.line()}`);
  }

  /**
   * `[#####...] 450/2000 URLs  812/s  ETA 2s  errors 3`: URLs as their records are written, the
   * total once the input is read (`+` until then), and the time left at the current rate. Without
   * a pipeline (the worker), URLs, rate and errors.
   */
  line(): string {
    const summary = this.#stats.summary();
    const errors = `errors ${summary.failed}`;
    if (this.#progress === undefined) return `${summary.urls} URLs  ${summary.urlsPerSecond}/s  ${errors}`;
    const total = this.#progress.enqueuedUrls + this.#progress.directRecords;
    const known = this.#progress.inputDone;
    const width = 24;
    const filled = known && total > 0 ? Math.min(width, Math.round((summary.urls / total) * width)) : 0;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const eta = known && summary.urlsPerSecond > 0 && total > summary.urls ? `  ETA ${Math.ceil((total - summary.urls) / summary.urlsPerSecond)}s` : '';
    return `${bar} ${summary.urls}/${total}${known ? '' : '+'} URLs  ${summary.urlsPerSecond}/s${eta}  ${errors}`;
  }
}

export { ProgressLine };
