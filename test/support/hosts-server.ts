import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type HostRoute = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One HTTP server on 127.0.0.1 answering for many host names (told apart by the Host header, the
 * names mapped to loopback by the engine's resolver hook), which records per host what
 * politeness is about: requests received, when, and how many were in flight at once. Rates are
 * checked at dispatch (DispatchLog), not here: arrival times bunch when the event loop is busy.
 */
class HostsServer {
  readonly #server: Server;
  readonly #routes = new Map<string, HostRoute>();
  /** When each request to a host started, on the wall clock (ms since the epoch) other processes share. */
  readonly started = new Map<string, number[]>();
  readonly #inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  /** TCP connections accepted, in all and per host (the host of a connection's first request). */
  connections = 0;
  readonly connectionsPerHost = new Map<string, number>();
  readonly #countedSockets = new WeakSet<object>();

  private constructor() {
    this.#server = createServer((req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!this.#countedSockets.has(req.socket)) {
        this.#countedSockets.add(req.socket);
        this.connectionsPerHost.set(host, (this.connectionsPerHost.get(host) ?? 0) + 1);
      }
      const at = this.started.get(host) ?? [];
      at.push(Date.now());
      this.started.set(host, at);
      const now = (this.#inFlight.get(host) ?? 0) + 1;
      this.#inFlight.set(host, now);
      this.maxInFlight.set(host, Math.max(now, this.maxInFlight.get(host) ?? 0));
      res.on('close', () => this.#inFlight.set(host, this.#inFlight.get(host)! - 1));
      (this.#routes.get(host) ?? ((_q, r) => r.end('ok')))(req, res);
    });
    this.#server.on('connection', () => { this.connections += 1; });
  }

  static async start(): Promise<HostsServer> {
    const server = new HostsServer();
    server.#server.listen(0, '127.0.0.1');
    await once(server.#server, 'listening');
    return server;
  }

  route(host: string, route: HostRoute): this {
    this.#routes.set(host, route);
    return this;
  }

  url(host: string, path = '/'): string {
    return `http://${host}:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Resolves every name to 127.0.0.1: host names for a `HostsServer`. */
const loopbackNames = async () => [{ address: '127.0.0.1', family: 4 }];

export { HostsServer, loopbackNames };
