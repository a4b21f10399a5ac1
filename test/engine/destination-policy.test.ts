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
  ])('blocks %s (%s)', (address, reason) => {
    expect(policy.check(address)).toStrictEqual({ allowed: false, reason });
  });

  test.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
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
