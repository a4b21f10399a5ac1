import type { Socket } from 'node:net';
import { ErrorCode } from '../../lib/index.ts';
import type { HostileReply } from './hostile-server.ts';

/** How a URL ends: its record's error code, or `OK`. */
type Outcome = ErrorCode | 'OK';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** Misbehaviours that hold a connection: none of them ever completes a response. */
const STALLING: Readonly<Record<string, HostileReply>> = {
  '/stall': () => {},
  '/lie-about-length': 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nshort',
  '/half-headers': 'HTTP/1.1 200 OK\r\nContent-Le',
  '/chunked-without-end': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
  '/endless-1xx': (socket: Socket) => {
    for (let i = 0; i < 500; i += 1) socket.write('HTTP/1.1 102 Processing\r\n\r\n');
  },
  '/redirect-lying-about-length': 'HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 100000\r\n\r\nshort',
};

/** Misbehaviours answered at once, each with how its URL ends when it is not retried. */
const ANSWERING: Readonly<Record<string, readonly [HostileReply, Outcome]>> = {
  '/ok': [OK, 'OK'],
  '/switch-protocols': ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello', ErrorCode.PROTOCOL_ERROR],
  '/status-099': ['HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n', ErrorCode.PROTOCOL_ERROR],
  '/status-000': ['HTTP/1.1 000 Odd\r\nContent-Length: 0\r\n\r\n', ErrorCode.PROTOCOL_ERROR],
  '/not-http': ['SSH-2.0-OpenSSH_9.6\r\n\r\n', ErrorCode.PROTOCOL_ERROR],
  '/huge-headers': [`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 0\r\n\r\n`, ErrorCode.PROTOCOL_ERROR],
  '/bad-gzip': ['HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip', ErrorCode.PROTOCOL_ERROR],
  '/closed-mid-body': [(socket: Socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'), ErrorCode.CONNECTION_RESET],
  '/empty-location': ['HTTP/1.1 302 Found\r\nLocation: \r\nContent-Length: 0\r\n\r\n', ErrorCode.HTTP_STATUS],
  '/empty-gzip': ['HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n', 'OK'],
  '/empty-br': ['HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 0\r\n\r\n', 'OK'],
  '/empty-deflate': ['HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 0\r\n\r\n', 'OK'],
  '/redirect-empty-gzip': ['HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n', 'OK'],
  '/retry-later': ['HTTP/1.1 503 Service Unavailable\r\nRetry-After: 20\r\nContent-Length: 0\r\n\r\n', ErrorCode.HTTP_STATUS],
};

/** Every route above, for `HostileServer.start`. */
const HOSTILE_ROUTES: Readonly<Record<string, HostileReply>> = {
  ...STALLING,
  ...Object.fromEntries(Object.entries(ANSWERING).map(([path, [reply]]) => [path, reply])),
};

/** How each route's URL ends without retries: a stalling one by the URL's own limit (TIMEOUT). */
const HOSTILE_OUTCOMES: Readonly<Record<string, Outcome>> = {
  ...Object.fromEntries(Object.keys(STALLING).map((path) => [path, ErrorCode.TIMEOUT])),
  ...Object.fromEntries(Object.entries(ANSWERING).map(([path, [, outcome]]) => [path, outcome])),
};

export { HOSTILE_OUTCOMES, HOSTILE_ROUTES, STALLING };
export type { Outcome };
