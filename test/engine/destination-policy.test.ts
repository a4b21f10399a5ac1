import { createDestinationPolicy } from '../../lib/index.ts';

describe('destination policy', () => {
  const policy = createDestinationPolicy();

  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['[::1]', 'loopback'],
    // Every other range the docs promise, at both of its ends.
    ['192.0.0.0', 'IETF protocol assignments'],
    ['192.0.0.255', 'IETF protocol assignments'],
    ['192.0.2.0', 'documentation'],
    ['192.0.2.255', 'documentation'],
    ['198.51.100.0', 'documentation'],
    ['198.51.100.255', 'documentation'],
    ['203.0.113.0', 'documentation'],
    ['203.0.113.255', 'documentation'],
    ['192.88.99.0', '6to4 relay'],
    ['192.88.99.255', '6to4 relay'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['0.255.255.255', 'unspecified'],
    ['2001:db8::', 'documentation'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
    ['64:ff9b:1::', 'NAT64 local-use'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'NAT64 local-use'],
    ['2001::1', 'Teredo'],
    ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', 'Teredo'],
    ['100::', 'discard-only'],
    ['100::ffff:ffff:ffff:ffff', 'discard-only'],
    ['fec0::1', 'site-local'],
    ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'site-local'],
  ])('blocks %s (%s)', (address, reason) => {
    expect(policy.check(address)).toStrictEqual({ allowed: false, reason });
  });

  // Just outside the blocked ranges' edges, and ordinary public addresses.
  test.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808',
    '192.0.1.0', '192.0.3.0', '198.17.255.255', '198.20.0.0', '203.0.112.255', '2001:db9::', '2001:1::1', '64:ff9b:2::1'])(
    'allows the public address %s',
    (address) => {
      expect(policy.check(address)).toStrictEqual({ allowed: true });
    },
  );

  test('never allows text that is not an IP address', () => {
    expect(policy.check('localhost').allowed).toBe(false);
    expect(policy.check('127.1').allowed).toBe(false);
  });

  test('allowNetworks opens exactly the listed ranges, including their IPv4-mapped forms', () => {
    const local = createDestinationPolicy({ allowNetworks: ['127.0.0.0/8', '::1/128'] });
    expect(local.check('127.0.0.2').allowed).toBe(true);
    expect(local.check('::ffff:127.0.0.1').allowed).toBe(true);
    expect(local.check('::1').allowed).toBe(true);
    expect(local.check('10.0.0.1')).toStrictEqual({ allowed: false, reason: 'private' });
    expect(local.check('::2')).toStrictEqual({ allowed: false, reason: 'unspecified' });
  });

  test('a single-host allow entry does not open its neighbours', () => {
    const one = createDestinationPolicy({ allowNetworks: ['127.0.0.1'] });
    expect(one.check('127.0.0.1').allowed).toBe(true);
    expect(one.check('127.0.0.2').allowed).toBe(false);
  });

  test.each(['not-a-cidr', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '1.2.3/8'])('rejects the malformed CIDR %s', (cidr) => {
    expect(() => createDestinationPolicy({ allowNetworks: [cidr] })).toThrow(/allowNetworks/);
  });
});
