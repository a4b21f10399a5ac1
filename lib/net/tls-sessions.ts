import type { TLSSocket } from 'node:tls';

/**
 * Keeps the latest TLS session of each server name alive, least recently used first out.
 * undici's connector caches sessions only through `WeakRef`s (lib/core/connect.js), so once the
 * garbage collector runs, a reconnect to an origin makes a full handshake again. Holding the
 * session here keeps undici's weak entry valid, and the next connect to that name offers it for
 * resumption (RFC 8446 §2.2; RFC 5077 for TLS 1.2 tickets). A session is a few hundred bytes
 * to ~2 KB, so the default bound costs at most a few MB.
 */
class TlsSessionStore {
  readonly #sessions = new Map<string, Buffer>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** Server names remembered at most; also the size of undici's own (weak) session cache. */
  get max(): number {
    return this.#max;
  }

  /**
   * Remembers the sessions `socket` receives under `serverName`: a TLS 1.2 session exists once the
   * handshake is done (`getSession`), TLS 1.3 tickets arrive after it ('session' events).
   */
  watch(socket: TLSSocket, serverName: string): void {
    const current = socket.getSession();
    if (current) this.#remember(serverName, current);
    socket.on('session', (session: Buffer) => this.#remember(serverName, session));
  }

  #remember(serverName: string, session: Buffer): void {
    this.#sessions.delete(serverName);
    this.#sessions.set(serverName, session);
    if (this.#sessions.size > this.#max) this.#sessions.delete(this.#sessions.keys().next().value!);
  }
}

export { TlsSessionStore };
