/**
 * Results could not be handed to their destination (a full disk, a closed pipe, a device that
 * refuses writes). Whatever was being written is not acknowledged; a run stops on the first one.
 */
class ResultWriteError extends Error {
  /** The system error code, e.g. `ENOSPC` or `EPIPE`. */
  readonly code: string;
  /** Where the results were going, as the user named it (`results.jsonl`, `stdout`). */
  readonly destination: string;

  constructor(destination: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? code : 'EIO';
    super(`cannot write results to ${destination}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ResultWriteError';
    this.code = reason;
    this.destination = destination;
  }
}

export { ResultWriteError };
