import { FetchError, ErrorCode } from '../core/errors.ts';

/** An attempt that can be cut off; the scope links active ones through these two fields. */
interface Cancellable {
  cancel(reason: FetchError): void;
  previousActive: Cancellable | undefined;
  nextActive: Cancellable | undefined;
}

/**
 * Cancellation for every attempt started under one signal (a run, an invocation's deadline).
 * One 'abort' listener per scope, not one per attempt: adding and removing an event listener for
 * each of a million requests showed up as several percent of CPU in the bench profile.
 * Active attempts form an intrusive doubly linked list: a `Set` with one add and one delete per
 * request made V8's scavenger keep dead attempts alive (long scavenges, full GCs and a much higher
 * peak RSS in `npm run bench`; the list has none of them).
 */
class CancelScope {
  readonly signal: AbortSignal | undefined;
  #head: Cancellable | undefined;
  /**
   * Set by the abort listener: reading `aborted` of a composite signal (`AbortSignal.any`, as an
   * invocation's deadline combined with the run's) re-checks its sources on every read, which
   * showed in a CPU profile of the local run.
   */
  #aborted: boolean;

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
    this.#aborted = signal?.aborted ?? false;
    signal?.addEventListener('abort', () => {
      this.#aborted = true;
      const reason = abortedError(signal);
      while (this.#head) {
        const attempt = this.#head;
        this.delete(attempt);
        attempt.cancel(reason);
      }
    }, { once: true });
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** The error an attempt cut off by this scope ends with. */
  reason(): FetchError {
    return abortedError(this.signal!);
  }

  add(attempt: Cancellable): void {
    attempt.previousActive = undefined;
    attempt.nextActive = this.#head;
    if (this.#head) this.#head.previousActive = attempt;
    this.#head = attempt;
  }

  /** Unlinks `attempt`; must be called exactly once per `add` (attempts call it when they settle). */
  delete(attempt: Cancellable): void {
    if (attempt.previousActive) attempt.previousActive.nextActive = attempt.nextActive;
    else if (this.#head === attempt) this.#head = attempt.nextActive;
    if (attempt.nextActive) attempt.nextActive.previousActive = attempt.previousActive;
    attempt.previousActive = undefined;
    attempt.nextActive = undefined;
  }
}

function abortedError(signal: AbortSignal): FetchError {
  const reason: unknown = signal.reason;
  const detail = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : '';
  return new FetchError(ErrorCode.ABORTED, `run aborted before the URL finished${detail}`);
}

export { CancelScope };
export type { Cancellable };
