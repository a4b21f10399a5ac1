import { BatchfetchError, ErrorCode } from '../errors.ts';

const HTTP_METHOD = /^[A-Z]{1,16}$/;

/** Parses an absolute http(s) URL, or explains why it cannot be fetched. */
function parseTarget(text: unknown): URL | BatchfetchError {
  if (typeof text !== 'string' || text.trim() === '') {
    return new BatchfetchError(ErrorCode.INVALID_URL, 'URL is missing or empty');
  }
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return new BatchfetchError(ErrorCode.INVALID_URL, 'URL could not be parsed');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return new BatchfetchError(ErrorCode.INVALID_URL, `unsupported scheme ${url.protocol.slice(0, 20)} (only http and https)`);
  }
  if (url.hostname === '') return new BatchfetchError(ErrorCode.INVALID_URL, 'URL has no host');
  return url;
}

function parseMethod(method: unknown): string | BatchfetchError {
  if (method === undefined) return 'GET';
  if (typeof method === 'string' && HTTP_METHOD.test(method.toUpperCase()) && method.toUpperCase() !== 'CONNECT') {
    return method.toUpperCase();
  }
  return new BatchfetchError(ErrorCode.INVALID_REQUEST, 'method must be an HTTP token such as GET (CONNECT is not supported)');
}

/** The `Location` of a redirect, resolved against the URL that answered it. */
function resolveRedirect(location: string, base: URL): URL | BatchfetchError {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    return new BatchfetchError(ErrorCode.INVALID_URL, 'redirect Location could not be parsed');
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    return new BatchfetchError(ErrorCode.INVALID_URL, `redirect to unsupported scheme ${next.protocol.slice(0, 20)}`);
  }
  return next;
}

export { parseMethod, parseTarget, resolveRedirect };
