import { isIP, type Socket } from 'node:net';
import { createSecureContext, type TLSSocket } from 'node:tls';
import type { buildConnector as BuildConnector } from 'undici';
import { buildConnector } from './undici-core.ts';
import { FetchError, ErrorCode } from '../core/errors.ts';
import type { DnsCache } from './dns-cache.ts';
import type { DestinationGuard } from './destination-guard.ts';
import { TlsSessionStore } from './tls-sessions.ts';
import { notePhases, noteTls } from './connection-facts.ts';

/** TLS settings of the connector. */
interface TlsSettings {
  /** Trusted roots (PEM); undefined: Node's defaults. */
  readonly ca: readonly string[] | undefined;
  /** Keeps sessions alive for resumption; its bound is also undici's session cache size. */
  readonly sessions: TlsSessionStore;
}

/**
 * An undici connector that decides on the address it is about to connect to, before any socket
 * is opened:
 * - IP-literal hosts are checked as written (a DNS hook alone would never see them);
 * - names are resolved through the shared DNS cache, blocked answers are dropped, and the socket is
 *   opened to the checked IP itself, so a second resolution (DNS rebinding) cannot swap it.
 * TLS still verifies the certificate against the original host name (`servername`).
 */
function createSafeConnector(options: {
  readonly guard: DestinationGuard;
  readonly dns: DnsCache;
  readonly connectTimeoutMs: number;
  readonly tls?: TlsSettings;
  /** Time each connection's DNS, TCP and TLS phases (for records' `timings`). @default false */
  readonly phases?: boolean;
  /** Note each HTTPS connection's certificate and protocol (for records' `tls`). @default false */
  readonly tlsFacts?: boolean;
}): BuildConnector.connector {
  const { guard, dns } = options;
  const tls = options.tls ?? { ca: undefined, sessions: new TlsSessionStore(100) };
  const build = buildConnector({
    timeout: options.connectTimeoutMs,
    allowH2: false,
    maxCachedSessions: tls.sessions.max,
    // One secure context for every connection: given `ca` instead, tls.connect would parse the
    // whole root store again for each socket, milliseconds of CPU per connection (HTTPS over
    // 500 origins in bench:origins cost about sixty times the CPU per URL).
    ...(tls.ca ? { secureContext: createSecureContext({ ca: [...tls.ca] }) } : {}),
  });
  /** Connects; with `startedAt` (phases on) and the DNS time, notes how long each phase took. */
  const connect = (connectOptions: BuildConnector.Options, callback: BuildConnector.Callback, startedAt?: number, dnsMs = 0): void => {
    let tcpAt: number | undefined;
    const socket = build(connectOptions, (error, socket) => {
      if (error === null && startedAt !== undefined) {
        const doneAt = performance.now();
        const tcpDoneAt = tcpAt ?? doneAt;
        notePhases(socket, { startedAt, dnsMs, connectMs: tcpDoneAt - startedAt - dnsMs, tlsMs: doneAt - tcpDoneAt });
      }
      if (error === null && connectOptions.protocol === 'https:') {
        const serverName = connectOptions.servername ?? connectOptions.hostname;
        if (options.tlsFacts) {
          const full = noteTls(socket as TLSSocket, () => tls.sessions.certificateOf(serverName));
          if (full) tls.sessions.noteCertificate(serverName, full);
        }
        tls.sessions.watch(socket as TLSSocket, serverName);
      }
      (callback as (error: Error | null, socket: Socket | null) => void)(error, socket);
    }) as unknown as Socket | undefined;
    // A TLS socket emits `connect` when its TCP handshake is done, `secureConnect` after TLS.
    if (startedAt !== undefined && connectOptions.protocol === 'https:') socket?.once('connect', () => { tcpAt = performance.now(); });
  };

  return function safeConnect(connectOptions, callback) {
    const startedAt = options.phases ? performance.now() : undefined;
    const hostname = stripBrackets(connectOptions.hostname);
    if (isIP(hostname) !== 0) {
      const refused = guard.checkLiteral(hostname);
      if (refused) callback(refused, null);
      else connect(connectOptions, callback, startedAt);
      return;
    }
    dns.lookup(hostname).then(
      (addresses) => {
        const picked = guard.pick(hostname, addresses);
        if (!picked.ok) {
          callback(picked.error, null);
          return;
        }
        try {
          connect({
            ...connectOptions,
            hostname: picked.value.address,
            servername: connectOptions.servername ?? hostname,
          }, callback, startedAt, startedAt === undefined ? 0 : performance.now() - startedAt);
        } catch (error) {
          // net.connect throws (EMFILE) when it cannot create a socket; inside this promise
          // callback a throw would be swallowed and the request would wait for ever.
          callback(error as Error, null);
        }
      },
      (error: unknown) => callback(toDnsError(error), null),
    );
  };
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function toDnsError(error: unknown): FetchError {
  const code = (error as { code?: string }).code ?? 'EAI_FAIL';
  const hostname = (error as { hostname?: string }).hostname;
  const what = code === 'EAI_AGAIN' ? 'DNS lookup failed temporarily' : 'host name did not resolve';
  return new FetchError(ErrorCode.DNS_FAILURE, `${what}${hostname ? `: ${hostname}` : ''} (${code})`, {
    cause: error,
    retryable: code === 'EAI_AGAIN',
  });
}

export { createSafeConnector };
export type { TlsSettings };
