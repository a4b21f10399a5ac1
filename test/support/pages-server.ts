import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How a page answers conditional requests. */
type Validators = 'etag' | 'last-modified' | 'both' | 'none' | 'ignored';

interface Page {
  body: string;
  /** A status to answer instead of the page (a broken page). */
  failWith?: number;
  readonly validators: Validators;
  /** Bumped with each new body: the ETag and Last-Modified follow it. */
  version: number;
  /** The next request waits this long before its answer (once). */
  delayNextMs?: number;
}

interface Seen {
  readonly path: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
  readonly status: number;
}

/**
 * A real HTTP server of pages that change, break and recover between runs, each answering
 * conditional requests as configured: ETag and/or Last-Modified honoured with `304 Not
 * Modified` (RFC 9110 §13.1), or sent but ignored (always 200, as many servers do), or absent.
 * It records every request's validators and status, and the body bytes it sent.
 */
class PagesServer {
  readonly #server: Server;
  readonly #pages = new Map<string, Page>();
  readonly #sockets = new Set<Socket>();
  readonly seen: Seen[] = [];
  bodyBytesSent = 0;

  private constructor() {
    this.#server = createServer((req, res) => this.#answer(req, res));
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<PagesServer> {
    const server = new PagesServer();
    server.#server.listen(0, '127.0.0.1');
    await once(server.#server, 'listening');
    return server;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  page(path: string, body: string, validators: Validators = 'etag'): this {
    this.#pages.set(path, { body, validators, version: 1 });
    return this;
  }

  /** A new body (and so new validators). */
  change(path: string, body: string): this {
    const page = this.#pages.get(path)!;
    page.body = body;
    page.version += 1;
    return this;
  }

  /** The page's next request is answered only after `ms` (a URL a deadline cuts off). */
  delayNext(path: string, ms: number): this {
    this.#pages.get(path)!.delayNextMs = ms;
    return this;
  }

  fail(path: string, status: number | undefined): this {
    this.#pages.get(path)!.failWith = status;
    return this;
  }

  requestsTo(path: string): Seen[] {
    return this.seen.filter((seen) => seen.path === path);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    const send = (status: number, headers: Record<string, string>, body = '') => {
      this.seen.push({ path, ...(ifNoneMatch ? { ifNoneMatch } : {}), ...(ifModifiedSince ? { ifModifiedSince } : {}), status });
      this.bodyBytesSent += Buffer.byteLength(body);
      res.writeHead(status, headers).end(body);
    };
    if (path.startsWith('/redirect-to')) {
      send(301, { location: path.slice('/redirect-to'.length) || '/' });
      return;
    }
    if (path === '/always-304') {
      send(304, {});
      return;
    }
    const page = this.#pages.get(path);
    if (!page) {
      send(404, {}, 'no such page');
      return;
    }
    if (page.delayNextMs !== undefined) {
      const delay = page.delayNextMs;
      page.delayNextMs = undefined;
      const timer = setTimeout(() => this.#answer(req, res), delay);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    if (page.failWith !== undefined) {
      send(page.failWith, {}, 'broken');
      return;
    }
    const etag = `"v${page.version}"`;
    const lastModified = new Date(Date.UTC(2026, 0, page.version)).toUTCString();
    const headers: Record<string, string> = { 'content-type': 'text/html' };
    if (page.validators === 'etag' || page.validators === 'both' || page.validators === 'ignored') headers.etag = etag;
    if (page.validators === 'last-modified' || page.validators === 'both') headers['last-modified'] = lastModified;
    // RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
    const honours = page.validators !== 'ignored' && page.validators !== 'none';
    const matches = ifNoneMatch !== undefined
      ? headers.etag !== undefined && ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, '')).includes(etag)
      : ifModifiedSince !== undefined && headers['last-modified'] !== undefined && Date.parse(ifModifiedSince) >= Date.parse(lastModified);
    if (honours && matches) {
      send(304, headers);
      return;
    }
    send(200, { ...headers, 'content-length': String(Buffer.byteLength(page.body)) }, page.body);
  }
}

export { PagesServer };
