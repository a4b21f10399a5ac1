import { isIP } from 'node:net';
import type { buildConnector as BuildConnector } from 'undici';
import { buildConnector } from './undici-core.ts';
import { BatchfetchError, ErrorCode } from '../errors.ts';
import type { DnsCache } from './dns-cache.ts';
import type { DestinationGuard } from './destination-guard.ts';

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
}): BuildConnector.connector {
  const { guard, dns } = options;
  const connect = buildConnector({ timeout: options.connectTimeoutMs, allowH2: false });

  return function safeConnect(connectOptions, callback) {
    const hostname = stripBrackets(connectOptions.hostname);
    if (isIP(hostname) !== 0) {
      const refused = guard.checkLiteral(hostname);
      if (refused) callback(refused, null);
      else connect(connectOptions, callback);
      return;
    }
    dns.lookup(hostname).then(
      (addresses) => {
        const picked = guard.pick(hostname, addresses);
        if (picked instanceof BatchfetchError) {
          callback(picked, null);
          return;
        }
        connect({
          ...connectOptions,
          hostname: picked.address,
          servername: connectOptions.servername ?? hostname,
        }, callback);
      },
      (error: unknown) => callback(toDnsError(error), null),
    );
  };
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function toDnsError(error: unknown): BatchfetchError {
  const code = (error as { code?: string }).code ?? 'EAI_FAIL';
  const hostname = (error as { hostname?: string }).hostname;
  const what = code === 'EAI_AGAIN' ? 'DNS lookup failed temporarily' : 'host name did not resolve';
  return new BatchfetchError(ErrorCode.DNS_FAILURE, `${what}${hostname ? `: ${hostname}` : ''} (${code})`, {
    cause: error,
    retryable: code === 'EAI_AGAIN',
  });
}

export { createSafeConnector };
