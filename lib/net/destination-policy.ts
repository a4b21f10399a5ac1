import { InvalidOptionError } from '../core/errors.ts';
import { cidrContains, parseCidr, parseIp, type Cidr, type IpBytes } from './ip-address.ts';

/**
 * Address ranges a fetch of an untrusted URL must never reach, each with the reason reported in
 * the (address-free) error message. Sources: the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890), the OWASP Server-Side Request Forgery Prevention Cheat Sheet.
 */
const BLOCKED_RANGES: ReadonlyArray<readonly [cidr: string, reason: string]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'NAT64 local-use'],
  ['100::/64', 'discard-only'],
  ['2001::/32', 'Teredo'],
  ['2001:db8::/32', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
];

const blockedCidrs = BLOCKED_RANGES.map(([text, reason]) => ({ cidr: parseCidr(text)!, reason }));

/**
 * IPv6 forms that carry an IPv4 address inside them. The embedded address is checked too, so
 * `::7f00:1`, `64:ff9b::7f00:1` or `2002:7f00:1::` cannot reach 127.0.0.1.
 */
function embeddedIpv4(address: IpBytes): IpBytes | undefined {
  const embedded = (offset: number): IpBytes => {
    const bytes = new Uint8Array(16);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    bytes.set(address.subarray(offset, offset + 4), 12);
    return bytes;
  };
  // IPv4-compatible (deprecated) ::a.b.c.d
  if (address.subarray(0, 12).every((byte) => byte === 0)) return embedded(12);
  // NAT64 well-known prefix 64:ff9b::/96
  if (address[0] === 0 && address[1] === 0x64 && address[2] === 0xff && address[3] === 0x9b
    && address.subarray(4, 12).every((byte) => byte === 0)) return embedded(12);
  // 6to4 2002:AABB:CCDD::/48
  if (address[0] === 0x20 && address[1] === 0x02) return embedded(2);
  return undefined;
}

interface DestinationVerdict {
  readonly allowed: boolean;
  /** Why it was blocked; never contains the address itself. */
  readonly reason?: string;
}

interface DestinationPolicy {
  /** Decides on a literal IP address, as connected to. Non-IP text is never allowed. */
  check(address: string): DestinationVerdict;
}

const ALLOWED: DestinationVerdict = { allowed: true };

/**
 * Builds the policy: public unicast addresses are allowed; the ranges above are blocked unless an
 * entry of `allowNetworks` (CIDRs, e.g. `127.0.0.0/8`) contains the address.
 *
 * @example
 * const policy = createDestinationPolicy({ allowNetworks: ['127.0.0.0/8'] });
 * policy.check('127.0.0.1'); // { allowed: true }
 * policy.check('10.0.0.1'); // { allowed: false, reason: 'private' }
 */
function createDestinationPolicy(options: { allowNetworks?: readonly string[] } = {}): DestinationPolicy {
  const allowCidrs: Cidr[] = (options.allowNetworks ?? []).map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new InvalidOptionError('allowNetworks', 'a list of CIDRs such as 127.0.0.0/8 or ::1/128', text);
    return cidr;
  });

  const isExplicitlyAllowed = (address: IpBytes): boolean =>
    allowCidrs.some((cidr) => cidrContains(cidr, address));

  const blockReason = (address: IpBytes): string | undefined =>
    blockedCidrs.find(({ cidr }) => cidrContains(cidr, address))?.reason;

  return {
    check(text: string): DestinationVerdict {
      const address = parseIp(text);
      if (!address) return { allowed: false, reason: 'not an IP address' };
      const inner = embeddedIpv4(address);
      if (isExplicitlyAllowed(address) || (inner && isExplicitlyAllowed(inner))) return ALLOWED;
      const reason = blockReason(address) ?? (inner && blockReason(inner));
      return reason ? { allowed: false, reason } : ALLOWED;
    },
  };
}

export { createDestinationPolicy };
export type { DestinationPolicy, DestinationVerdict };
