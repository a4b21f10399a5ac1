import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
  /** With `status`: forward the call first (the write lands), then answer `status` anyway. */
  readonly failAfterForward?: boolean;
}

function injectedError(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected ${status}</Message></Error>`);
}

/**
 * Faults at random over every matching call (a soak): a share delayed by a time in a range, a
 * share failed with 500 — half of those before the write reaches S3, half after it landed (the
 * caller cannot tell which: S3's own 500s are as ambiguous). Seeded, so a run can be repeated.
 */
interface ChaosRule {
  readonly method: FaultRule['method'];
  readonly key: RegExp;
  readonly delayShare: number;
  readonly delayMs: readonly [number, number];
  readonly failShare: number;
  readonly seed: number;
}

/** What chaos did, by kind. */
interface ChaosTally {
  delayed: number;
  failedBefore: number;
  failedAfter: number;
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
  #chaos: { readonly rule: ChaosRule; readonly random: () => number; readonly tally: ChaosTally } | undefined;

  /** Added to every S3 call (SQS and DynamoDB calls, which name their operation in X-Amz-Target, pass at once): S3's latency, ms. */
  s3LatencyMs = 0;

  private constructor(target: URL) {
    this.#server = createServer((req, res) => {
      if (this.s3LatencyMs > 0 && req.headers['x-amz-target'] === undefined) {
        req.pause();
        setTimeout(() => this.#handle(req, res, target), this.s3LatencyMs);
        return;
      }
      this.#handle(req, res, target);
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse, target: URL): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.calls.push(`${req.method} ${path}`);
    const fault = this.#faultFor(req, path) ?? this.#chaosFor(req, path);
    const forward = () => {
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        if (fault?.rule.failAfterForward) {
          answer.resume();
          answer.once('end', () => injectedError(res, 500));
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (fault?.rule.status !== undefined && !fault.rule.failAfterForward) {
      req.resume();
      const status = fault.rule.status;
      const answer = () => injectedError(res, status);
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

  /** Applies `rule` at random to every matching call from now on; returns what it did so far. */
  chaos(rule: ChaosRule): ChaosTally {
    let state = rule.seed >>> 0;
    // mulberry32: a small seeded generator, enough to spread faults repeatably.
    const random = () => {
      state = (state + 0x6D2B79F5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const tally = { delayed: 0, failedBefore: 0, failedAfter: 0 };
    this.#chaos = { rule, random, tally };
    return tally;
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

  #chaosFor(req: IncomingMessage, path: string): Fault | undefined {
    const chaos = this.#chaos;
    if (!chaos || chaos.rule.method !== req.method || !chaos.rule.key.test(path)) return undefined;
    const { rule, random, tally } = chaos;
    const roll = random();
    if (roll < rule.failShare) {
      const after = random() < 0.5;
      if (after) tally.failedAfter += 1;
      else tally.failedBefore += 1;
      return { rule: { method: rule.method, key: rule.key, status: 500, failAfterForward: after }, applied: 1 };
    }
    if (roll < rule.failShare + rule.delayShare) {
      tally.delayed += 1;
      const [low, high] = rule.delayMs;
      return { rule: { method: rule.method, key: rule.key, delayMs: low + random() * (high - low) }, applied: 1 };
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

export { S3FaultProxy };
export type { ChaosRule, ChaosTally, Fault, FaultRule };
