import ipaddr from 'ipaddr.js';

/** What the address policy allows beyond its fixed refusals. */
export interface AddressPolicyOptions {
  /** Allow 127.0.0.0/8 and ::1. The local runtime allows them; AWS does not by default. */
  readonly allowLoopback: boolean;
  /** When non-empty, an address must also fall in one of these CIDRs. */
  readonly allowCidrs: readonly string[];
}

/** Ranges that are never a valid instance address: they would turn the prober against the host itself. */
const ALWAYS_REFUSED = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'reserved',
  // IPv6 ranges that embed an IPv4 address (NAT64, 6to4, Teredo): refused outright rather than decoded.
  'rfc6052',
  'rfc6145',
  '6to4',
  'teredo',
]);

const EC2_METADATA_V6 = ipaddr.parse('fd00:ec2::254');

/**
 * Decides which IP addresses may be registered and probed. Used at registration time (400) and again at
 * probe time, on every address a hostname resolves to, because DNS can change in between.
 *
 * @example
 * const policy = new AddressPolicy({ allowLoopback: false, allowCidrs: [] });
 * policy.refusal('169.254.169.254'); // => 'link-local address 169.254.169.254 is not allowed'
 * policy.refusal('10.0.0.5');        // => undefined (allowed)
 */
export class AddressPolicy {
  private readonly cidrs: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

  constructor(private readonly options: AddressPolicyOptions) {
    this.cidrs = options.allowCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Why `ip` is refused, or `undefined` when it is allowed. `ip` must be an IP literal. */
  refusal(ip: string): string | undefined {
    if (!ipaddr.isValid(ip)) return `${ip} is not an IP address`;
    let parsed = ipaddr.parse(ip);
    // An IPv4-mapped IPv6 address (::ffff:169.254.169.254) is judged as the IPv4 address it carries.
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    }
    if (parsed.kind() === 'ipv6' && parsed.toNormalizedString() === EC2_METADATA_V6.toNormalizedString()) {
      return `metadata address ${ip} is not allowed`;
    }
    const range = parsed.range();
    if (ALWAYS_REFUSED.has(range)) return `${describe(range)} address ${ip} is not allowed`;
    if (range === 'loopback' && !this.options.allowLoopback) return `loopback address ${ip} is not allowed`;
    if (this.cidrs.length > 0 && !this.cidrs.some((cidr) => parsed.kind() === cidr[0].kind() && parsed.match(cidr))) {
      return `address ${ip} is outside the allowed CIDRs`;
    }
    return undefined;
  }
}

function describe(range: string): string {
  return range === 'linkLocal' ? 'link-local' : range;
}

/** Resolves a hostname to every address it has. A port: the adapter uses DNS, tests pass a table. */
export type Resolver = (hostname: string) => Promise<string[]>;
