import type { FetchRequest, FetchResult } from '../engine/fetch-types.ts';
import { resultRecord } from '../engine/result-record.ts';
import type { FetchError } from '../core/errors.ts';

/** The final record of a request refused (or given up) before any attempt in this process. */
function invalidResult(request: Pick<FetchRequest, 'url' | 'id' | 'line' | 'priorAttempts'>, error: FetchError): FetchResult {
  return resultRecord(request, { error: error.toResultError() });
}

export { invalidResult };
