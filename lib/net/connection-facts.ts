import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** How long opening one connection took, phase by phase, in ms (recorded by the connector). */
interface ConnectionPhases {
  /** performance.now() when the connector started (before DNS). */
  readonly startedAt: number;
  readonly dnsMs: number;
  /** TCP handshake. */
  readonly connectMs: number;
  /** TLS handshake (0 for plain HTTP). */
  readonly tlsMs: number;
}

/** The certificate and session of an HTTPS connection, as a record carries them. */
interface TlsFacts {
  /** `TLSv1.3`, `TLSv1.2`. */
  readonly protocol: string;
  /** When the server's certificate expires, ISO 8601. */
  readonly validTo: string;
  /** Whole days from now until `validTo` (negative once it has passed). */
  readonly daysLeft: number;
  /** The issuer's common name (or organisation). */
  readonly issuer: string;
  /** The certificate's common name (or its first DNS name). */
  readonly subject: string;
  /** The handshake resumed an earlier session (no certificate exchange). */
  readonly resumed: boolean;
}

/** What is known of one socket: how it was opened, and how many requests it has carried. */
interface ConnectionFacts {
  phases: ConnectionPhases | undefined;
  /** Requests written to the socket so far (the first one waited for its opening). */
  requests: number;
  /** Noted by the connector when records carry `tls`. */
  tls: Omit<TlsFacts, 'daysLeft'> | undefined;
}

/** What a record says of a certificate (kept per server name for resumed sessions: TlsSessionStore). */
type CertificateFacts = Pick<TlsFacts, 'validTo' | 'issuer' | 'subject'>;

const factsBySocket = new WeakMap<Socket, ConnectionFacts>();

function factsOf(socket: Socket): ConnectionFacts {
  let facts = factsBySocket.get(socket);
  if (!facts) {
    facts = { phases: undefined, requests: 0, tls: undefined };
    factsBySocket.set(socket, facts);
  }
  return facts;
}

function notePhases(socket: Socket, phases: ConnectionPhases): void {
  factsOf(socket).phases = phases;
}

/**
 * Notes an HTTPS connection's TLS facts once its handshake is done. A resumed session exchanges
 * no certificate (Node's getPeerCertificate returns `{}`): `resumedFrom` gives the facts of the
 * full handshake it resumed; a full handshake's are returned, for the caller to keep.
 */
function noteTls(socket: TLSSocket, resumedFrom: (socket: TLSSocket) => CertificateFacts | undefined): CertificateFacts | undefined {
  const resumed = socket.isSessionReused();
  const certificate = resumed ? resumedFrom(socket) : certificateOf(socket);
  if (certificate) factsOf(socket).tls = { protocol: socket.getProtocol() ?? 'unknown', ...certificate, resumed };
  return resumed ? undefined : certificate;
}

const DAY_MS = 86_400_000;

/** The TLS facts noted for a socket, with the days left counted now; undefined for plain HTTP. */
function tlsFactsOf(facts: ConnectionFacts, now = Date.now()): TlsFacts | undefined {
  if (!facts.tls) return undefined;
  const expires = Date.parse(facts.tls.validTo);
  return { ...facts.tls, daysLeft: Number.isNaN(expires) ? 0 : Math.floor((expires - now) / DAY_MS) };
}

function certificateOf(socket: TLSSocket): CertificateFacts | undefined {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) return undefined;
  const validTo = new Date(certificate.valid_to);
  return {
    validTo: Number.isNaN(validTo.getTime()) ? certificate.valid_to : validTo.toISOString(),
    issuer: nameOf(certificate.issuer),
    subject: nameOf(certificate.subject) || (certificate.subjectaltname?.match(/DNS:([^,]+)/)?.[1] ?? ''),
  };
}

function nameOf(name: { CN?: string | string[]; O?: string | string[] } | undefined): string {
  const value = name?.CN ?? name?.O ?? '';
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Told which socket carries the request it is waiting to see written. */
interface SocketWatcher {
  readonly method: string;
  readonly path: string;
  onSocket(socket: Socket): void;
}

/**
 * undici writes a request to a socket in one synchronous step: it calls the handler's
 * `onRequestStart`, builds the request head, and publishes `undici:client:sendHeaders` with the
 * socket (undici docs/api/DiagnosticsChannel.md). A handler that wants its socket says so in
 * `onRequestStart`; the next publication (the same step) hands it over. Method and path are
 * checked, so a request that is aborted before its head is written never takes another's socket.
 */
let expected: SocketWatcher | undefined;
let subscribers = 0;

function onSendHeaders(message: unknown): void {
  const watcher = expected;
  expected = undefined;
  const { request, socket } = message as { request: { method: string; path: string }; socket: Socket };
  if (watcher && watcher.method === request.method && watcher.path === request.path) watcher.onSocket(socket);
}

/** Starts handing sockets to watchers (counted: one subscription however many engines). Returns the stop. */
function watchRequestSockets(): () => void {
  if (subscribers++ === 0) subscribe('undici:client:sendHeaders', onSendHeaders);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--subscribers === 0) unsubscribe('undici:client:sendHeaders', onSendHeaders);
  };
}

/** Called from `onRequestStart`: the socket about to carry this request goes to `watcher`. */
function expectSocket(watcher: SocketWatcher): void {
  expected = watcher;
}

export { expectSocket, factsOf, notePhases, noteTls, tlsFactsOf, watchRequestSockets };
export type { CertificateFacts, ConnectionFacts, ConnectionPhases, SocketWatcher, TlsFacts };
