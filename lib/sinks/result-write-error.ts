import { BatchfetchError } from '../core/errors.ts';

/**
 * Results could not be handed to their destination (a full disk, a closed pipe, a device that
 * refuses writes). Whatever was being written is not acknowledged; a run stops on the first one.
 */
class ResultWriteError extends BatchfetchError {
  override readonly name = 'ResultWriteError';
  declare readonly code: 'RESULT_WRITE_FAILED';
  /** The system error code, e.g. `ENOSPC` or `EPIPE` (`EIO` when the cause has none). */
  readonly systemCode: string;
  /** Where the results were going, as the user named it (`results.jsonl`, `stdout`). */
  readonly destination: string;

  constructor(destination: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super('RESULT_WRITE_FAILED', `cannot write results to ${destination}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.systemCode = typeof code === 'string' ? code : 'EIO';
    this.destination = destination;
  }
}

export { ResultWriteError };
