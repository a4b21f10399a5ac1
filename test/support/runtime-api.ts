import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Invocation {
  readonly id: string;
  readonly event: unknown;
  readonly deadlineMs: number;
  readonly settle: (outcome: InvocationOutcome) => void;
}

interface InvocationOutcome {
  readonly ok: boolean;
  readonly payload: unknown;
  /** When the runtime answered, ms since epoch. */
  readonly at: number;
}

/**
 * A minimal Lambda Runtime API (2018-06-01) on 127.0.0.1: hands queued events to the runtime
 * client on `/invocation/next` with a real deadline header, and collects responses and errors.
 */
class RuntimeApi {
  readonly server: Server;
  readonly #pending: Invocation[] = [];
  readonly #waiting: Array<(invocation: Invocation) => void> = [];
  readonly #inFlight = new Map<string, Invocation>();
  initError: unknown;
  #sequence = 0;

  constructor() {
    this.server = createServer((req, res) => { void this.#route(req, res); });
  }

  static async start(): Promise<RuntimeApi> {
    const api = new RuntimeApi();
    api.server.listen(0, '127.0.0.1');
    await once(api.server, 'listening');
    return api;
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Queues an event; resolves with what the function returned (or its error). */
  invoke(event: unknown, timeoutMs: number): Promise<InvocationOutcome> {
    return new Promise((settle) => {
      this.#sequence += 1;
      const invocation = { id: `req-${this.#sequence}`, event, deadlineMs: Date.now() + timeoutMs, settle };
      const waiter = this.#waiting.shift();
      if (waiter) waiter(invocation);
      else this.#pending.push(invocation);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      const invocation = this.#pending.shift() ?? await new Promise<Invocation>((resolve) => this.#waiting.push(resolve));
      this.#inFlight.set(invocation.id, invocation);
      res.writeHead(200, {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': invocation.id,
        'lambda-runtime-deadline-ms': String(invocation.deadlineMs),
        'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:000000000000:function:fetch-batch',
        'lambda-runtime-trace-id': 'Root=1-00000000-000000000000000000000000;Sampled=0',
      });
      res.end(JSON.stringify(invocation.event));
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && match) {
      const invocation = this.#inFlight.get(match[1]!);
      this.#inFlight.delete(match[1]!);
      invocation?.settle({ ok: match[2] === 'response', payload: body ? JSON.parse(body) : null, at: Date.now() });
      res.writeHead(202);
      res.end('{}');
      return;
    }
    if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
      this.initError = body;
      res.writeHead(202);
      res.end('{}');
      return;
    }
    res.writeHead(404);
    res.end();
  }
}

export { RuntimeApi };
export type { InvocationOutcome };
