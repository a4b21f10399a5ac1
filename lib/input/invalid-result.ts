import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import type { BatchfetchError } from '../errors.ts';

/** The final record of a request refused before any attempt. */
function invalidResult(request: Pick<FetchRequest, 'url' | 'id' | 'priorAttempts'>, error: BatchfetchError): FetchResult {
  return {
    url: request.url,
    ...(request.id === undefined ? {} : { id: request.id }),
    ok: false,
    status: null,
    attempts: request.priorAttempts ?? 0,
    redirects: 0,
    latencyMs: 0,
    bytes: 0,
    error: error.toResultError(),
  };
}

export { invalidResult };
