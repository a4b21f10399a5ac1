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
  readonly phases: ConnectionPhases | undefined;
  /** Requests written to the socket so far (the first one waited for its opening). */
  requests: number;
  tls: Omit<TlsFacts, 'daysLeft'> | undefined;
  /** The TLS server name it was opened for (SNI), when TLS facts are wanted. */
  serverName?: string;
}

/** The certificate facts of each server name's last full handshake, for resumed sessions. */
type CertificateFacts = Pick<TlsFacts, 'validTo' | 'issuer' | 'subject'>;
const certificatesByName = new Map<string, CertificateFacts>();
/** As many names as the connector keeps TLS sessions for (lib/engine/fetch-engine.ts). */
const MAX_CERTIFICATES = 2_048;

/** Notes the server name an HTTPS socket was opened for (a resumed session's certificate is looked up by it). */
function noteServerName(socket: Socket, serverName: string): void {
  factsOf(socket).serverName = serverName;
}

const factsBySocket = new WeakMap<Socket, ConnectionFacts>();

function notePhases(socket: Socket, phases: ConnectionPhases): void {
  factsBySocket.set(socket, { phases, requests: 0, tls: undefined });
}

function factsOf(socket: Socket): ConnectionFacts {
  let facts = factsBySocket.get(socket);
  if (!facts) {
    facts = { phases: undefined, requests: 0, tls: undefined };
    factsBySocket.set(socket, facts);
  }
  return facts;
}

const DAY_MS = 86_400_000;

/** The TLS facts of an HTTPS socket (read from it once), undefined for plain HTTP. */
function tlsFactsOf(socket: Socket, now = Date.now()): TlsFacts | undefined {
  const tlsSocket = socket as Partial<TLSSocket>;
  if (typeof tlsSocket.getPeerCertificate !== 'function') return undefined;
  const facts = factsOf(socket);
  if (!facts.tls) {
    const certificate = certificateOf(tlsSocket as TLSSocket, facts.serverName);
    if (!certificate) return undefined;
    facts.tls = { protocol: tlsSocket.getProtocol?.() ?? 'unknown', ...certificate, resumed: tlsSocket.isSessionReused?.() ?? false };
  }
  const expires = Date.parse(facts.tls.validTo);
  return { ...facts.tls, daysLeft: Number.isNaN(expires) ? 0 : Math.floor((expires - now) / DAY_MS) };
}

/**
 * The peer certificate's facts. A resumed session exchanges no certificate (Node then returns an
 * empty object), so it gets those of the name's last full handshake: the session it resumed.
 */
function certificateOf(socket: TLSSocket, serverName: string | undefined): CertificateFacts | undefined {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) {
    return serverName === undefined ? undefined : certificatesByName.get(serverName);
  }
  const validTo = new Date(certificate.valid_to);
  const facts: CertificateFacts = {
    validTo: Number.isNaN(validTo.getTime()) ? certificate.valid_to : validTo.toISOString(),
    issuer: nameOf(certificate.issuer),
    subject: nameOf(certificate.subject) || (certificate.subjectaltname?.match(/DNS:([^,]+)/)?.[1] ?? ''),
  };
  if (serverName !== undefined) {
    certificatesByName.delete(serverName);
    if (certificatesByName.size >= MAX_CERTIFICATES) certificatesByName.delete(certificatesByName.keys().next().value!);
    certificatesByName.set(serverName, facts);
  }
  return facts;
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

export { expectSocket, factsOf, notePhases, noteServerName, tlsFactsOf, watchRequestSockets };
export type { ConnectionFacts, ConnectionPhases, SocketWatcher, TlsFacts };
