import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** Which S3 calls a fault applies to: the HTTP method and a pattern of the object key (path). */
interface FaultRule {
  readonly method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST';
  readonly key: RegExp;
  /** Hold the call this long before forwarding it (an S3 latency tail). */
  readonly delayMs?: number;
  /** Answer with this status instead of forwarding (an S3 error: 500, 503 …). */
  readonly status?: number;
  /** How many matching calls it applies to, from the first. @default 1 */
  readonly times?: number;
}

/** A fault in place: how many calls it has applied to. */
interface Fault {
  readonly rule: FaultRule;
  applied: number;
}

/**
 * An HTTP proxy in front of local-sqs's S3 (fauxqs) that delays or fails chosen calls and
 * forwards everything else unchanged: S3's latency tail and its occasional 500s, on a real
 * S3-protocol server. Requests name the object in the path (path-style addressing).
 */
class S3FaultProxy {
  readonly #server: Server;
  readonly #faults: Fault[] = [];
  /** Every call seen, as `METHOD /bucket/key`, in order of arrival. */
  readonly calls: string[] = [];

  private constructor(target: URL) {
    this.#server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      this.calls.push(`${req.method} ${path}`);
      const fault = this.#faultFor(req, path);
      const forward = () => {
        const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      };
      if (fault?.rule.status !== undefined) {
        req.resume();
        const status = fault.rule.status;
        const answer = () => {
          res.writeHead(status, { 'content-type': 'application/xml' });
          res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected ${status}</Message></Error>`);
        };
        if (fault.rule.delayMs) setTimeout(answer, fault.rule.delayMs);
        else answer();
        return;
      }
      if (fault?.rule.delayMs) {
        // Read the body now (as S3 would receive it), forward it later.
        req.pause();
        setTimeout(forward, fault.rule.delayMs);
        return;
      }
      forward();
    });
  }

  static async start(target: string): Promise<S3FaultProxy> {
    const proxy = new S3FaultProxy(new URL(target));
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Applies `rule` to the next matching calls. */
  add(rule: FaultRule): Fault {
    const fault = { rule, applied: 0 };
    this.#faults.push(fault);
    return fault;
  }

  /** The calls seen that match a method and key pattern. */
  callsTo(method: FaultRule['method'], key: RegExp): string[] {
    return this.calls.filter((call) => call.startsWith(`${method} `) && key.test(call.slice(method.length + 1)));
  }

  #faultFor(req: IncomingMessage, path: string): Fault | undefined {
    const fault = this.#faults.find((each) => each.rule.method === req.method && each.rule.key.test(path) && each.applied < (each.rule.times ?? 1));
    if (fault) fault.applied += 1;
    return fault;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

export { S3FaultProxy };
export type { Fault, FaultRule };
