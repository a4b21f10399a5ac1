import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP addresses as 16 bytes. IPv4 addresses are held in their IPv4-mapped IPv6 form
 * (`::ffff:a.b.c.d`) so one CIDR matcher serves both families and a mapped IPv6 spelling of an
 * IPv4 address can never slip past an IPv4 rule.
 */
type IpBytes = Uint8Array;

interface Cidr {
  readonly bytes: IpBytes;
  /** Prefix length over the 128-bit form (IPv4 prefixes are shifted by 96). */
  readonly prefix: number;
}

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function ipv4ToBytes(text: string): IpBytes | undefined {
  if (!isIPv4(text)) return undefined;
  const bytes = new Uint8Array(16);
  bytes.set(IPV4_MAPPED_PREFIX);
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) bytes[12 + i] = Number(parts[i]);
  return bytes;
}

function ipv6ToBytes(input: string): IpBytes | undefined {
  // Zone identifiers (`fe80::1%eth0`) do not change which network an address is in.
  const text = input.split('%', 1)[0]!;
  if (!isIPv6(text)) return undefined;
  const bytes = new Uint8Array(16);
  let head = text;
  let tailV4: IpBytes | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = ipv4ToBytes(text.slice(lastColon + 1));
    if (!tailV4) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const missing = 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...new Array<string>(right === undefined ? 0 : missing).fill('0'), ...rightGroups];
  if (groups.length !== 8) return undefined;
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (tailV4) bytes.set(tailV4.subarray(12), 12);
  return bytes;
}

/** Parses a literal IPv4 or IPv6 address (brackets allowed, as in URLs). */
function parseIp(text: string): IpBytes | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return ipv4ToBytes(bare) ?? ipv6ToBytes(bare);
}

/** Parses `a.b.c.d/n` or `x:y::/n`; a bare address is a single-host network. */
function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const bytes = parseIp(address.trim());
  if (!bytes) return undefined;
  const isV4 = isIPv4(address.trim());
  const maxPrefix = isV4 ? 32 : 128;
  const prefixText = slash === -1 ? String(maxPrefix) : text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > maxPrefix) return undefined;
  return { bytes, prefix: isV4 ? prefix + 96 : prefix };
}

function cidrContains(cidr: Cidr, address: IpBytes): boolean {
  const fullBytes = cidr.prefix >> 3;
  for (let i = 0; i < fullBytes; i++) if (cidr.bytes[i] !== address[i]) return false;
  const restBits = cidr.prefix & 7;
  if (restBits === 0) return true;
  const mask = (0xff << (8 - restBits)) & 0xff;
  return (cidr.bytes[fullBytes]! & mask) === (address[fullBytes]! & mask);
}

function isIpv4Mapped(address: IpBytes): boolean {
  return IPV4_MAPPED_PREFIX.every((byte, i) => address[i] === byte);
}

function ipToString(address: IpBytes): string {
  if (isIpv4Mapped(address)) return Array.from(address.subarray(12)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((address[i]! << 8) | address[i + 1]!).toString(16));
  return groups.join(':');
}

export { parseIp, parseCidr, cidrContains, isIpv4Mapped, ipToString };
export type { IpBytes, Cidr };
