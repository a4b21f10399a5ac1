import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/** What a hostile route does with a connection once a request for it has arrived. */
type HostileReply = string | Buffer | ((socket: Socket) => void);

/**
 * A raw TCP server on 127.0.0.1 that answers each request by its path's behaviour, bytes as
 * written (any HTTP or none), on a connection kept open unless the behaviour ends it. `close`
 * destroys every connection, so nothing it started outlives the test. Hits count requests per path.
 */
class HostileServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #hits = new Map<string, number>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(routes: Readonly<Record<string, HostileReply>>): Promise<HostileServer> {
    const server = createServer();
    const hostile = new HostileServer(server);
    server.on('connection', (socket) => hostile.#serve(socket, routes));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return hostile;
  }

  url(path: string): string {
    const { port } = this.#server.address() as { port: number };
    return `http://127.0.0.1:${port}${path}`;
  }

  hitsOf(path: string): number {
    return this.#hits.get(path) ?? 0;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #serve(socket: Socket, routes: Readonly<Record<string, HostileReply>>): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const path = pending.slice(0, pending.indexOf('\r\n')).split(' ')[1]!.split('?')[0]!;
        pending = pending.slice(end + 4);
        this.#hits.set(path, this.hitsOf(path) + 1);
        const reply = routes[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
        if (typeof reply === 'function') reply(socket);
        else socket.write(reply);
      }
    });
  }
}

export { HostileServer };
export type { HostileReply };
