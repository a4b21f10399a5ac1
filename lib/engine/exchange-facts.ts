import type { Socket } from 'node:net';
import { expectSocket, factsOf, tlsFactsOf, type ConnectionFacts, type SocketWatcher, type TlsFacts } from '../net/connection-facts.ts';

/** How long each phase of one exchange took, in ms; a reused connection skipped the first three. */
interface Timings {
  readonly dns: number;
  readonly connect: number;
  readonly tls: number;
  /** From the request written to the first byte of the response. */
  readonly firstByte: number;
  /** From the request handed to its connection pool to the end of the exchange. */
  readonly total: number;
}

/**
 * What one exchange learns about its connection, for records' `timings` and `tls`: created only
 * when a run asks for either, so a run that does not pays nothing per request.
 */
class ExchangeFacts implements SocketWatcher {
  readonly method: string;
  readonly path: string;
  readonly #timings: boolean;
  readonly #tlsInfo: boolean;
  #dispatchedAt = 0;
  #writtenAt: number | undefined;
  #headersAt: number | undefined;
  #connection: ConnectionFacts | undefined;
  /** The socket was opened for this request (it is the first the socket carried). */
  #opened = false;
  #tls: TlsFacts | undefined;

  constructor(method: string, path: string, timings: boolean, tlsInfo: boolean) {
    this.method = method;
    this.path = path;
    this.#timings = timings;
    this.#tlsInfo = tlsInfo;
  }

  dispatched(now: number): void {
    this.#dispatchedAt = now;
  }

  /** Called from `onRequestStart`: the request is being written; its socket comes next. */
  written(now: number): void {
    this.#writtenAt = now;
    expectSocket(this);
  }

  headers(now: number): void {
    this.#headersAt = now;
  }

  onSocket(socket: Socket): void {
    const facts = factsOf(socket);
    this.#connection = facts;
    this.#opened = facts.requests++ === 0;
    if (this.#tlsInfo) this.#tls = tlsFactsOf(facts);
  }

  report(endAt: number): { timings?: Timings; tls?: TlsFacts } {
    return {
      ...(this.#timings ? { timings: this.#phases(endAt) } : {}),
      ...(this.#tls ? { tls: this.#tls } : {}),
    };
  }

  /**
   * A connection opened for this request adds its DNS, TCP and TLS times, cut to the time the
   * request actually waited for them (a connection another request had started opening was
   * partly ready when this one took it), so the phases never add up to more than `total`.
   */
  #phases(endAt: number): Timings {
    const written = this.#writtenAt ?? endAt;
    let wait = written - this.#dispatchedAt;
    const phases = this.#opened ? this.#connection?.phases : undefined;
    const take = (ms: number): number => {
      const part = Math.max(0, Math.min(ms, wait));
      wait -= part;
      return floor(part);
    };
    const tls = take(phases?.tlsMs ?? 0);
    const connect = take(phases?.connectMs ?? 0);
    const dns = take(phases?.dnsMs ?? 0);
    const firstByte = floor(Math.max(0, (this.#headersAt ?? endAt) - written));
    return { dns, connect, tls, firstByte, total: round(endAt - this.#dispatchedAt) };
  }
}

/** ms to the microsecond, as `latencyMs`; phases round down, so they never add up past `total`. */
function floor(ms: number): number {
  return Math.floor(ms * 1000) / 1000;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export { ExchangeFacts };
export type { Timings };
