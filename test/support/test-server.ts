import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Route = (req: IncomingMessage, res: ServerResponse, server: TestServer) => void;

/**
 * A real HTTP server on a loopback address, port 0, with per-path behaviour. It counts requests
 * per path, TCP connections, and the largest number of requests in flight at once, so tests can
 * assert on what actually reached the wire.
 */
class TestServer {
  readonly server: Server;
  readonly hits = new Map<string, number>();
  readonly requestHeaders: IncomingMessage['headers'][] = [];
  readonly sockets = new Set<Socket>();
  /** The local address of each accepted connection: which of the server's addresses a client dialled. */
  readonly dialled: string[] = [];
  connections = 0;
  inFlight = 0;
  maxInFlight = 0;
  maxOpenConnections = 0;
  #routes = new Map<string, Route>();
  #host = '127.0.0.1';

  constructor() {
    this.server = createServer((req, res) => this.#handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (socket: Socket) => {
      this.connections += 1;
      this.dialled.push(socket.localAddress ?? '?');
      this.sockets.add(socket);
      this.maxOpenConnections = Math.max(this.maxOpenConnections, this.sockets.size);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(routes: Record<string, Route> = {}, host = '127.0.0.1'): Promise<TestServer> {
    const server = new TestServer();
    for (const [path, route] of Object.entries(routes)) server.route(path, route);
    server.#host = host;
    server.server.listen(0, host);
    await once(server.server, 'listening');
    return server;
  }

  route(path: string, route: Route): this {
    this.#routes.set(path, route);
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** URL of `path` on this server, through `host` (default: the address it listens on). */
  url(path: string, host = this.#host.includes(':') ? `[${this.#host}]` : this.#host): string {
    return `http://${host}:${this.port}${path}`;
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    this.requestHeaders.push(req.headers);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let counted = true;
    const done = () => {
      if (counted) this.inFlight -= 1;
      counted = false;
    };
    res.on('close', done);
    const route = this.#routes.get(path);
    if (!route) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    route(req, res, this);
  }
}

/** Common behaviours. */
const routes = {
  text: (body: string, status = 200, headers: Record<string, string> = {}): Route => (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  },
  redirect: (location: string, status = 302): Route => (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  },
  /** Answers `failures` times with `status` (and headers), then 200. */
  failThenSucceed: (failures: number, status: number, headers: Record<string, string> = {}): Route => {
    let seen = 0;
    return (_req, res) => {
      seen += 1;
      if (seen <= failures) {
        res.writeHead(status, headers);
        res.end('try again');
      } else {
        res.end('finally');
      }
    };
  },
  /** Never answers. */
  hang: (): Route => () => {},
  /** Answers after `ms`, so requests overlap. */
  slow: (ms: number): Route => (_req, res) => {
    setTimeout(() => res.end('slow'), ms);
  },
  /** Sends headers, then one byte every `everyMs` for ever (until the client goes). */
  drip: (everyMs: number): Route => (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('x'), everyMs);
    res.on('close', () => clearInterval(timer));
  },
  /** Destroys the socket without a response. */
  reset: (): Route => (req) => {
    req.socket.destroy();
  },
  /** Declares `declared` bytes, sends `sent`, then closes the connection. */
  truncate: (declared: number, sent: number): Route => (_req, res) => {
    res.writeHead(200, { 'content-length': String(declared) });
    res.write(Buffer.alloc(sent, 97));
    setImmediate(() => res.socket?.destroy());
  },
  /** Streams `bytes` bytes in 64 KiB chunks without declaring a length. */
  stream: (bytes: number): Route => (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 98);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  },
  /** Sends a fixed, pre-encoded body with a content-encoding. */
  encoded: (body: Buffer, encoding: string): Route => (_req, res) => {
    res.writeHead(200, { 'content-encoding': encoding, 'content-length': String(body.length) });
    res.end(body);
  },
};

export { TestServer, routes };
export type { Route };
