/**
 * A connection's origin spelt as `URL#origin` (RFC 6454 §4: scheme, host, port; no default port),
 * the key its pool has: the connection budget counts idle sockets by it, and the scheduler asks
 * for them by the origin of a URL (`originOf`, engine/request-target.ts).
 */

const DEFAULT_PORT: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** The origin key of a connection undici asks the connector for (its protocol, hostname and port). */
function originKeyOfConnection(options: { readonly protocol: string; readonly hostname: string; readonly port: string | number }): string {
  const port = String(options.port);
  const hostname = options.hostname.toLowerCase();
  // undici passes IPv6 literals without their brackets.
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  return `${options.protocol}//${host}${port === '' || port === DEFAULT_PORT[options.protocol] ? '' : `:${port}`}`;
}

export { originKeyOfConnection };
