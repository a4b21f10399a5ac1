import { FetchError, ErrorCode } from '../core/errors.ts';

type Classification = readonly [code: ErrorCode, message: string];

// Messages are our own: node and undici messages may carry internal addresses and ports.
const BY_CODE: Readonly<Record<string, Classification>> = {
  UND_ERR_CONNECT_TIMEOUT: [ErrorCode.CONNECT_FAILED, 'connect timed out'],
  ETIMEDOUT: [ErrorCode.CONNECT_FAILED, 'connect timed out'],
  ECONNREFUSED: [ErrorCode.CONNECT_FAILED, 'connection refused'],
  EHOSTUNREACH: [ErrorCode.CONNECT_FAILED, 'host unreachable'],
  ENETUNREACH: [ErrorCode.CONNECT_FAILED, 'network unreachable'],
  // Local shortages reach here only when they outlast the connector's waiting (or hit outside it).
  EADDRNOTAVAIL: [ErrorCode.RESOURCE_EXHAUSTED, 'no local port available'],
  EMFILE: [ErrorCode.RESOURCE_EXHAUSTED, 'too many open files in this process'],
  ENFILE: [ErrorCode.RESOURCE_EXHAUSTED, 'too many open files on this machine'],
  ENOBUFS: [ErrorCode.RESOURCE_EXHAUSTED, 'no socket buffer space'],
  UND_ERR_HEADERS_TIMEOUT: [ErrorCode.TIMEOUT, 'response headers timed out'],
  UND_ERR_BODY_TIMEOUT: [ErrorCode.TIMEOUT, 'response body stalled'],
  UND_ERR_SOCKET: [ErrorCode.CONNECTION_RESET, 'connection closed by peer'],
  UND_ERR_CLOSED: [ErrorCode.CONNECTION_RESET, 'connection closed'],
  ECONNRESET: [ErrorCode.CONNECTION_RESET, 'connection reset by peer'],
  EPIPE: [ErrorCode.CONNECTION_RESET, 'connection closed while sending'],
  ECONNABORTED: [ErrorCode.CONNECTION_RESET, 'connection aborted'],
  ENOTFOUND: [ErrorCode.DNS_FAILURE, 'host name did not resolve'],
  EAI_AGAIN: [ErrorCode.DNS_FAILURE, 'DNS lookup failed temporarily'],
  UND_ERR_HEADERS_OVERFLOW: [ErrorCode.PROTOCOL_ERROR, 'response headers too large'],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: [ErrorCode.PROTOCOL_ERROR, 'response body length does not match content-length'],
  UND_ERR_RES_EXCEEDED_MAX_SIZE: [ErrorCode.BODY_TOO_LARGE, 'response body too large'],
  UND_ERR_INVALID_ARG: [ErrorCode.INVALID_REQUEST, 'invalid request'],
  UND_ERR_NOT_SUPPORTED: [ErrorCode.INVALID_REQUEST, 'request not supported'],
  UND_ERR_ABORTED: [ErrorCode.ABORTED, 'request aborted'],
  UND_ERR_ABORT: [ErrorCode.ABORTED, 'request aborted'],
  UND_ERR_DESTROYED: [ErrorCode.ABORTED, 'connection pool closed'],
  // undici's "informational" errors close a socket for a reason of its own (idle timeout, reset).
  UND_ERR_INFO: [ErrorCode.CONNECTION_RESET, 'connection closed'],
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: [ErrorCode.INVALID_REQUEST, 'the content-length header does not match the request body'],
  UND_ERR_REQ_RETRY: [ErrorCode.HTTP_STATUS, 'retries exhausted'],
  UND_ERR_RESPONSE: [ErrorCode.HTTP_STATUS, 'unsuccessful response'],
  UND_ERR_REDIRECT_MAX: [ErrorCode.TOO_MANY_REDIRECTS, 'too many redirects'],
  UND_ERR_PRX_TLS: [ErrorCode.CONNECT_FAILED, 'proxy connection failed'],
  UND_ERR_PRX_CONN: [ErrorCode.CONNECT_FAILED, 'proxy connection failed'],
  UND_ERR_SOCKS5: [ErrorCode.CONNECT_FAILED, 'proxy connection failed'],
  UND_ERR_BPL_MISSING_UPSTREAM: [ErrorCode.CONNECT_FAILED, 'no upstream'],
  UND_ERR_MAX_ORIGINS_REACHED: [ErrorCode.RESOURCE_EXHAUSTED, 'too many origins'],
  UND_ERR_WS_MESSAGE_SIZE_EXCEEDED: [ErrorCode.BODY_TOO_LARGE, 'message too large'],
  // undici asserts on what the parser hands it (a status line `HTTP/1.1 099` fails
  // `statusCode >= 100`): from a server's bytes, that is a malformed response.
  ERR_ASSERTION: [ErrorCode.PROTOCOL_ERROR, 'malformed HTTP response'],
  Z_DATA_ERROR: [ErrorCode.PROTOCOL_ERROR, 'invalid compressed body'],
  Z_BUF_ERROR: [ErrorCode.PROTOCOL_ERROR, 'truncated compressed body'],
  ERR_BROTLI_DECOMPRESSION_FAILED: [ErrorCode.PROTOCOL_ERROR, 'invalid compressed body'],
};

/**
 * Responses undici's HTTP/1.1 parser refuses by closing the socket with a `SocketError` (see
 * `onHeadersComplete` in lib/dispatcher/client-h1.js). They are the server's doing, and the same
 * server would do it again: protocol errors, not resets worth a retry.
 */
const UNACCEPTED_RESPONSES: Readonly<Record<string, string>> = {
  // RFC 9110 §15.2 asks clients to skip 1xx responses they did not ask for; undici skips all of
  // them except 100 (it never sends `Expect: 100-continue`, so it treats one as a broken server).
  'bad response': 'server sent a response before the request or an unrequested 100 Continue (UND_ERR_SOCKET)',
  'bad upgrade': 'server switched protocols without being asked (UND_ERR_SOCKET)',
};

/**
 * Codes that say this machine, not the destination, ran out of something: descriptors (EMFILE per
 * process, ENFILE system-wide), socket buffers (ENOBUFS) or local ports (EADDRNOTAVAIL, connect(2)).
 * Derived from the table above, so the connector's back-pressure and the result code agree.
 */
const LOCAL_EXHAUSTION_CODES: ReadonlySet<string> = new Set(
  Object.entries(BY_CODE)
    // UND_ERR_MAX_ORIGINS_REACHED is undici's own limit, not the OS's: not waited out.
    .filter(([name, [code]]) => code === ErrorCode.RESOURCE_EXHAUSTED && !name.startsWith('UND_ERR'))
    .map(([name]) => name),
);

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')
    || code.startsWith('UNABLE_TO_') || code.includes('SELF_SIGNED');
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps any error thrown by undici, node:net, node:tls, node:dns or zlib onto the stable codes of
 * `ErrorCode`. `AggregateError`s (several addresses tried) take the first classifiable inner error.
 */
function classifyError(error: unknown): FetchError {
  if (error instanceof FetchError) return error;
  if (error instanceof AggregateError && codeOf(error) === undefined) {
    const inner: unknown = (error.errors as unknown[]).find((e) => codeOf(e) !== undefined);
    if (inner) return classifyError(inner);
  }
  const code = codeOf(error) ?? 'UNKNOWN';
  const refused = code === 'UND_ERR_SOCKET' ? UNACCEPTED_RESPONSES[(error as Error).message] : undefined;
  if (refused) return new FetchError(ErrorCode.PROTOCOL_ERROR, refused, { cause: error });
  const known = BY_CODE[code];
  if (known) return new FetchError(known[0], `${known[1]} (${code})`, { cause: error });
  if (code.startsWith('HPE_') || (error as Error | null)?.name === 'HTTPParserError') {
    return new FetchError(ErrorCode.PROTOCOL_ERROR, `malformed HTTP response (${code})`, { cause: error });
  }
  if (isTlsCode(code)) return new FetchError(ErrorCode.TLS_ERROR, `TLS failed (${code})`, { cause: error });
  return new FetchError(ErrorCode.INTERNAL, `unexpected error (${code})`, { cause: error });
}

export { classifyError, LOCAL_EXHAUSTION_CODES };
