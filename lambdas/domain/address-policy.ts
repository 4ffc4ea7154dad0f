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

/**
 * AWS's own IPv6 range on Nitro instances: the instance metadata service (fd00:ec2::254), the DNS resolver
 * (fd00:ec2::253) and the time sync service (fd00:ec2::123) live here. It is the IPv6 counterpart of the
 * 169.254.0.0/16 services, so the whole /32 is refused like link-local, not just the metadata address
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html).
 */
const AWS_SERVICES_V6 = ipaddr.parseCIDR('fd00:ec2::/32');

/**
 * Parses an IP literal. An IPv6 literal with a dotted IPv4 tail is rewritten to hex groups first, because
 * ipaddr.js 2.x reads `::a.b.c.d` as the IPv4-mapped `::ffff:a.b.c.d`, so `::169.254.169.254` and its hex
 * spelling `::a9fe:a9fe` would otherwise be judged as different addresses.
 */
function parse(ip: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (dotted && ipaddr.IPv4.isValidFourPartDecimal(dotted.slice(2).join('.'))) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
    return ipaddr.IPv6.parse(`${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
  }
  return ipaddr.parse(ip);
}

/**
 * The IPv4 address an IPv6 address stands for, when it stands for one the host would reach as IPv4:
 * IPv4-mapped (`::ffff:a.b.c.d`) and the deprecated IPv4-compatible form (`::a.b.c.d`, RFC 4291 §2.5.5.1;
 * `::` and `::1` excepted, which are IPv6's own unspecified and loopback addresses).
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  const [p0, p1, p2, p3, p4, p5, p6, p7] = address.parts;
  const compatible = p0 === 0 && p1 === 0 && p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0 && (p6 !== 0 || (p7 ?? 0) > 1);
  return compatible ? new ipaddr.IPv4([p6! >> 8, p6! & 0xff, p7! >> 8, p7! & 0xff]) : undefined;
}

/**
 * Decides which IP addresses may be registered and probed. Used at registration time (400) and again at
 * probe time, on every address a hostname resolves to, because DNS can change in between.
 *
 * @example
 * const policy = new AddressPolicy({ allowLoopback: false, allowCidrs: [] });
 * policy.refusal('169.254.169.254'); // => 'link-local address 169.254.169.254 is not allowed'
 * policy.refusal('::a9fe:a9fe');     // => 'link-local address ::a9fe:a9fe is not allowed' (IPv4-compatible form)
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
    let parsed = parse(ip);
    if (parsed.kind() === 'ipv6') {
      const v6 = parsed as ipaddr.IPv6;
      if (v6.match(AWS_SERVICES_V6)) return `AWS metadata and service address ${ip} (fd00:ec2::/32, the IPv6 counterpart of 169.254.0.0/16) is not allowed`;
      // An IPv6 form of an IPv4 address (::ffff:169.254.169.254, ::a9fe:a9fe) is judged as that IPv4 address.
      parsed = embeddedIPv4(v6) ?? v6;
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
