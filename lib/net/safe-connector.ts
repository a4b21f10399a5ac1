import { isIP } from 'node:net';
import type { buildConnector as BuildConnector } from 'undici';
import { buildConnector } from './undici-core.ts';
import { BatchfetchError, ErrorCode } from '../errors.ts';
import type { DnsCache } from './dns-cache.ts';
import type { DestinationPolicy } from './destination-policy.ts';

/**
 * An undici connector that decides on the address it is about to connect to, before any socket
 * is opened:
 * - IP-literal hosts are checked as written (a DNS hook alone would never see them);
 * - names are resolved through the shared DNS cache, blocked answers are dropped, and the socket is
 *   opened to the checked IP itself, so a second resolution (DNS rebinding) cannot swap it.
 * TLS still verifies the certificate against the original host name (`servername`).
 */
function createSafeConnector(options: {
  readonly policy: DestinationPolicy;
  readonly dns: DnsCache;
  readonly connectTimeoutMs: number;
}): BuildConnector.connector {
  const { policy, dns } = options;
  const connect = buildConnector({ timeout: options.connectTimeoutMs, allowH2: false });

  const blocked = (reason: string | undefined) =>
    new BatchfetchError(ErrorCode.BLOCKED_DESTINATION, `destination address is not allowed (${reason ?? 'blocked'})`);

  return function safeConnect(connectOptions, callback) {
    const hostname = stripBrackets(connectOptions.hostname);
    if (isIP(hostname) !== 0) {
      const verdict = policy.check(hostname);
      if (!verdict.allowed) {
        callback(blocked(verdict.reason), null);
        return;
      }
      connect(connectOptions, callback);
      return;
    }
    dns.lookup(hostname).then(
      (addresses) => {
        let firstReason: string | undefined;
        const allowed = addresses.find(({ address }) => {
          const verdict = policy.check(address);
          firstReason ??= verdict.reason;
          return verdict.allowed;
        });
        if (!allowed) {
          callback(addresses.length === 0 ? dnsError(hostname) : blocked(firstReason), null);
          return;
        }
        connect({
          ...connectOptions,
          hostname: allowed.address,
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

function dnsError(hostname: string): BatchfetchError {
  return new BatchfetchError(ErrorCode.DNS_FAILURE, `host name did not resolve: ${hostname}`);
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
