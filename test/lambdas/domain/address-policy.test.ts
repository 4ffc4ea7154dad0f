import { AddressPolicy } from '../../../lambdas/domain/address-policy.js';

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

  it.each([
    ['::a9fe:a9fe', 'link-local'],
    ['::169.254.169.254', 'link-local'],
    ['::7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::e000:fb', 'multicast'],
    ['::ffff:a9fe:a9fe', 'link-local'],
  ])('judges the IPv4-compatible or -mapped form %s as the IPv4 address it carries (%s)', (ip, kind) => {
    expect(strict.refusal(ip)).toContain(kind);
  });

  it('allows an IPv4-compatible form exactly when its IPv4 address would be allowed', () => {
    expect(local.refusal('::7f00:1')).toBeUndefined(); // loopback, allowed locally like 127.0.0.1
    expect(local.refusal('::127.0.0.1')).toBeUndefined();
    expect(strict.refusal('::a00:5')).toBeUndefined(); // ::10.0.0.5, a private address like 10.0.0.5
  });

  it.each(['fd00:ec2::254', 'fd00:ec2::253', 'fd00:ec2::123', 'fd00:ec2::23', 'fd00:ec2:ffff::1'])(
    'refuses %s, in the AWS services range fd00:ec2::/32, even where loopback is allowed',
    (ip) => {
      expect(local.refusal(ip)).toContain('fd00:ec2::/32');
    },
  );

  it('keeps ::1 and :: as IPv6 loopback and unspecified, not as IPv4-compatible forms', () => {
    expect(local.refusal('::1')).toBeUndefined();
    expect(strict.refusal('::1')).toContain('loopback');
    expect(local.refusal('::')).toContain('unspecified');
    expect(strict.refusal('fd00:ec3::1')).toBeUndefined(); // just outside the AWS range: an ordinary ULA
  });

  it('matches IPv4-compatible forms against IPv4 allow-listed CIDRs', () => {
    const listed = new AddressPolicy({ allowLoopback: false, allowCidrs: ['10.1.0.0/16'] });
    expect(listed.refusal('::10.1.2.3')).toBeUndefined();
    expect(listed.refusal('::a02:3')).toContain('outside the allowed CIDRs');
  });

  it('requires an allow-listed CIDR when one is configured', () => {
    const listed = new AddressPolicy({ allowLoopback: false, allowCidrs: ['10.1.0.0/16', 'fd00:1::/32'] });
    expect(listed.refusal('10.1.2.3')).toBeUndefined();
    expect(listed.refusal('fd00:1::5')).toBeUndefined();
    expect(listed.refusal('10.2.0.1')).toContain('outside the allowed CIDRs');
    expect(listed.refusal('169.254.169.254')).toContain('link-local');
  });
});
