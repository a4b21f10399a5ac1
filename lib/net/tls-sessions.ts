import type { TLSSocket } from 'node:tls';
import type { CertificateFacts } from './connection-facts.ts';

/** What is kept of one server name: its latest session, and its certificate's facts. */
interface NameEntry {
  session?: Buffer;
  /** From the name's last full handshake: a resumed one exchanges no certificate. */
  certificate?: CertificateFacts;
}

/**
 * Keeps the latest TLS session of each server name alive, least recently used first out, and
 * the facts of its certificate for records' `tls` (a resumed session has none of its own).
 * undici's connector caches sessions only through `WeakRef`s (lib/core/connect.js), so once the
 * garbage collector runs, a reconnect to an origin makes a full handshake again. Holding the
 * session here keeps undici's weak entry valid, and the next connect to that name offers it for
 * resumption (RFC 8446 §2.2; RFC 5077 for TLS 1.2 tickets). A session is a few hundred bytes
 * to ~2 KB, so the default bound costs at most a few MB.
 */
class TlsSessionStore {
  readonly #names = new Map<string, NameEntry>();
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
    if (current) this.#remember(serverName).session = current;
    socket.on('session', (session: Buffer) => {
      this.#remember(serverName).session = session;
    });
  }

  /** The certificate facts of `serverName`'s last full handshake, when one was noted. */
  certificateOf(serverName: string): CertificateFacts | undefined {
    return this.#names.get(serverName)?.certificate;
  }

  noteCertificate(serverName: string, certificate: CertificateFacts): void {
    this.#remember(serverName).certificate = certificate;
  }

  /** The name's entry, made the most recently used; the least recently used goes past `max`. */
  #remember(serverName: string): NameEntry {
    const entry = this.#names.get(serverName) ?? {};
    this.#names.delete(serverName);
    this.#names.set(serverName, entry);
    if (this.#names.size > this.#max) this.#names.delete(this.#names.keys().next().value!);
    return entry;
  }
}

export { TlsSessionStore };
