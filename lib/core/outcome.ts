/**
 * What a function that can fail without throwing returns: its value, or why there is none. The
 * one shape for expected failures (a bad input line, a blocked address), where throwing would be
 * both slower and easy to forget to catch; `ok` is the discriminant.
 */
type Outcome<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

function success<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

function failure<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

export { failure, success };
export type { Outcome };
