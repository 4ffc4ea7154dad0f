import { AddressPolicy } from '../../lambdas/domain/address-policy.js';

const strict = new AddressPolicy({ allowLoopback: false, allowCidrs: [] });
const local = new AddressPolicy({ allowLoopback: true, allowCidrs: [] });

describe('AddressPolicy', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'],
  ])('refuses %s (%s)', (ip, kind) => {
    expect(strict.refusal(ip)).toContain(kind);
  });

  it.each(['10.0.0.5', '172.16.3.4', '192.168.1.1', '100.64.0.1', '8.8.8.8', 'fd12:3456::1', '2600:1f18::1'])('allows %s', (ip) => {
    expect(strict.refusal(ip)).toBeUndefined();
  });

  it('allows loopback only when configured, and still refuses the metadata address', () => {
    expect(local.refusal('127.0.0.1')).toBeUndefined();
    expect(local.refusal('::1')).toBeUndefined();
    expect(local.refusal('169.254.169.254')).toContain('link-local');
  });

  it('requires an allow-listed CIDR when one is configured', () => {
    const listed = new AddressPolicy({ allowLoopback: false, allowCidrs: ['10.1.0.0/16', 'fd00:1::/32'] });
    expect(listed.refusal('10.1.2.3')).toBeUndefined();
    expect(listed.refusal('fd00:1::5')).toBeUndefined();
    expect(listed.refusal('10.2.0.1')).toContain('outside the allowed CIDRs');
    expect(listed.refusal('169.254.169.254')).toContain('link-local');
  });
});
