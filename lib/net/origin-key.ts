/**
 * One spelling of an origin (RFC 6454 §4: scheme, host, port) for bookkeeping that must be cheap:
 * the scheduler groups a list's URLs by it, and the connection budget counts idle sockets by it.
 * Lower-cased, without user info, without the scheme's default port. It is a key, not a check: a
 * URL too odd for it (IPv6 zones, percent-encoded hosts) only gets a key no socket matches, which
 * costs a missed reuse, never a wrong request (fetching parses every URL properly).
 */

const DEFAULT_PORT: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** The origin key of an absolute http(s) URL, by slicing (no URL object); '' when it has no authority. */
function originKeyOfUrl(url: unknown): string {
  if (typeof url !== 'string') return '';
  const slashes = url.indexOf('//');
  if (slashes < 0) return '';
  let end = url.length;
  for (let i = slashes + 2; i < url.length; i += 1) {
    const code = url.charCodeAt(i);
    if (code === 47 || code === 63 || code === 35 || code === 92) { // / ? # and \ (WHATWG URL treats it as /)
      end = i;
      break;
    }
  }
  const scheme = url.slice(0, slashes).toLowerCase();
  let authority = url.slice(slashes + 2, end).toLowerCase();
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  const colon = authority.lastIndexOf(':');
  if (colon >= 0 && authority.indexOf(']', colon) < 0) {
    const port = authority.slice(colon + 1);
    if (port === '' || port === DEFAULT_PORT[scheme]) authority = authority.slice(0, colon);
  }
  return `${scheme}//${authority}`;
}

/** The origin key of a connection undici asks the connector for (its protocol, hostname and port). */
function originKeyOfConnection(options: { readonly protocol: string; readonly hostname: string; readonly port: string | number }): string {
  const port = String(options.port);
  const hostname = options.hostname.toLowerCase();
  // undici passes IPv6 literals without their brackets.
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  return `${options.protocol}//${host}${port === '' || port === DEFAULT_PORT[options.protocol] ? '' : `:${port}`}`;
}

export { originKeyOfConnection, originKeyOfUrl };
