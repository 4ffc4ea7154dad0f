/**
 * DNS as a view of the registry: one pure mapping from a service's instances to the record sets that answer for it,
 * shared by the local DNS server (local/dns-server.ts) and the Route 53 sync (lambdas/handlers/dns-sync.ts), so both
 * serve exactly the same names and values. No AWS imports.
 *
 * Names under the domain `D` (default `registry.internal`), for a service `S`:
 * - `_S._tcp.D` SRV: `0 <weight> <port> <target>` per instance, the target being the instance's own name (below), or
 *   its hostname when it registered a hostname;
 * - `S.D` A / AAAA: the instances' IP addresses;
 * - `<tag>.S.D` A / AAAA: the same, for instances carrying that tag (tags that are DNS labels only, matched without
 *   regard to case, as DNS names are);
 * - `<label>.instance.S.D` A or AAAA: one instance's address, the SRV target (RFC 2782: a target must be a name with
 *   address records, never an alias). `<label>` is {@link instanceLabel} of its id.
 *
 * Which instances: the registry's discovery decides health; these sets apply `healthy_or_else_all` to each name on its
 * own (healthy instances, or every live one when none is healthy), like `GET …/instances?status=healthy_or_else_all`.
 * A registered hostname is left out of A/AAAA (a CNAME cannot share a name with other records, nor be one of
 * several) and appears only as an SRV target, which resolvers look up themselves.
 */
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { Caller } from '../domain/caller.js';
import type { Instance } from '../domain/instance.js';
import type { Registry } from '../domain/registry.js';
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';

/** The domain the registry answers for when none is configured (`REGISTRY_DNS_DOMAIN`). */
export const DEFAULT_DNS_DOMAIN = DEFAULTS.dns.domain;

/** Record TTL when none is configured (`REGISTRY_DNS_TTL_SECONDS`): small, so a change reaches clients quickly. */
export const DEFAULT_DNS_TTL_SECONDS = DEFAULTS.dns.ttlSeconds;

/** The label between an instance's label and its service: `<label>.instance.<service>.<domain>`. */
export const INSTANCE_LABEL = 'instance';

/** The fields of an instance the DNS view reads. */
export type DnsInstance = Pick<Instance, 'instanceId' | 'address' | 'port' | 'weight' | 'tags'>;

/** One SRV record's data (RFC 2782). */
export interface SrvValue {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** A domain name without the trailing dot. */
  readonly target: string;
}

/** The records of one name and type: what Route 53 calls a resource record set. Names are lower case, no trailing dot. */
export type RecordSet =
  | { readonly name: string; readonly type: 'A' | 'AAAA'; readonly ttl: number; readonly values: readonly string[] }
  | { readonly name: string; readonly type: 'SRV'; readonly ttl: number; readonly values: readonly SrvValue[] };

export interface DnsZoneOptions {
  /** Lower case, no trailing dot. @default - {@link DEFAULT_DNS_DOMAIN} */
  readonly domain: string;
  /** @default - {@link DEFAULT_DNS_TTL_SECONDS} */
  readonly ttlSeconds: number;
}

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** True for a host name label (letters, digits, hyphens inside; 1–63 characters; lower case). */
export function isDnsLabel(label: string): boolean {
  return LDH_LABEL.test(label);
}

/**
 * The DNS label of an instance id. Ids are 1–128 of `[A-Za-z0-9._:-]` and case-sensitive; a label is 1–63 letters,
 * digits and inner hyphens, compared without case. An id that is already a lower-case label is used as it is
 * (`orders-1` → `orders-1`); any other id (upper case, `.`, `_`, `:`, too long) becomes `xx--` and the first 26
 * characters (130 bits) of the base32 SHA-256 of the id: deterministic, so every server and the Route 53 sync derive
 * the same name. Ids whose third and fourth characters are `--` are always hashed, so an id can never spell another
 * id's hashed label (the `xn--` convention: no plain label has `--` there).
 *
 * @example
 * instanceLabel('orders-1');   // => 'orders-1'
 * instanceLabel('Orders_1');   // => 'xx--' + 26 base32 characters
 */
export function instanceLabel(instanceId: string): string {
  if (isDnsLabel(instanceId) && instanceId.slice(2, 4) !== '--') return instanceId;
  return `xx--${base32(createHash('sha256').update(instanceId).digest()).slice(0, 26)}`;
}

/**
 * SRV weight of an instance weight. The registry's weights are 0–1000 (default 100); SRV weights are 0–65535 and
 * only their ratios matter (RFC 2782), so the weight is scaled by 65: ratios stay exact and resolvers that compress
 * SRV weights (HAProxy divides by 256) still tell 100 from 200. Weight 0 stays 0: picked only when nothing else is.
 */
export function srvWeight(weight: number): number {
  return Math.min(65535, Math.max(0, Math.round(weight)) * 65);
}

/** A name relative to nothing: `parts` joined under `domain`, lower case. */
function fqdn(domain: string, ...parts: string[]): string {
  return [...parts, domain].join('.').toLowerCase();
}

/** `_<service>._tcp.<domain>`: the SRV name of a service. */
export function srvName(service: string, domain: string): string {
  return fqdn(domain, `_${service}`, '_tcp');
}

/** `<label>.instance.<service>.<domain>`: the SRV target of an instance registered with an IP address. */
export function instanceName(service: string, instanceId: string, domain: string): string {
  return fqdn(domain, instanceLabel(instanceId), INSTANCE_LABEL, service);
}

/** What a query name is, relative to the domain. */
export type ParsedName =
  | { readonly kind: 'outside' }
  /** The domain itself. */
  | { readonly kind: 'apex' }
  /** A name under the domain that belongs to `service` (its records decide the answer). */
  | { readonly kind: 'service'; readonly service: string }
  /** A name under the domain no service could own. */
  | { readonly kind: 'none' };

/**
 * Which service a name belongs to: `S.D`, `_S._tcp.D`, `<tag>.S.D`, `<label>.instance.S.D` (and any other name
 * under `S.D`, which then simply has no records) all belong to `S`. Case-insensitive; a trailing dot is ignored.
 *
 * @example
 * parseName('_orders._tcp.registry.internal', 'registry.internal'); // => { kind: 'service', service: 'orders' }
 * parseName('example.com', 'registry.internal');                     // => { kind: 'outside' }
 */
export function parseName(name: string, domain: string): ParsedName {
  const n = name.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase();
  if (n === d) return { kind: 'apex' };
  if (!n.endsWith(`.${d}`)) return { kind: 'outside' };
  const labels = n.slice(0, -(d.length + 1)).split('.');
  const last = labels[labels.length - 1]!;
  if (labels.length === 2 && labels[1] === '_tcp' && labels[0]!.startsWith('_')) {
    const service = labels[0]!.slice(1);
    return isDnsLabel(service) ? { kind: 'service', service } : { kind: 'none' };
  }
  return isDnsLabel(last) ? { kind: 'service', service: last } : { kind: 'none' };
}

/**
 * Every record set of one service, from the two answers of discovery the view needs: its `healthy` instances and
 * `all` its live ones (`status=healthy` and `status=all`). Each name applies `healthy_or_else_all` on its own (the
 * rule `Registry.discover` applies after the other filters), so a tag whose instances are all failing still answers
 * with them, as discovery with that tag would. Sets are sorted by name and type, values sorted and without
 * duplicates (Route 53 refuses a set holding one value twice); an empty service has no sets.
 *
 * @example
 * serviceRecordSets('orders', healthy, all, { domain: 'registry.internal', ttlSeconds: 5 });
 * // => [{ name: '_orders._tcp.registry.internal', type: 'SRV', … }, { name: 'orders.registry.internal', type: 'A', … }, …]
 */
export function serviceRecordSets(service: string, healthy: readonly DnsInstance[], all: readonly DnsInstance[], zone: DnsZoneOptions): RecordSet[] {
  const ttl = zone.ttlSeconds;
  const pick = (keep: (i: DnsInstance) => boolean) => {
    const found = healthy.filter(keep);
    return found.length > 0 ? found : all.filter(keep);
  };
  const sets: RecordSet[] = [];
  const addresses = (name: string, instances: readonly DnsInstance[]) => {
    for (const type of ['A', 'AAAA'] as const) {
      const values = unique(instances.map((i) => addressOf(i.address, type)).filter((v): v is string => v !== undefined));
      if (values.length > 0) sets.push({ name, type, ttl, values });
    }
  };

  const members = pick(() => true);
  if (members.length === 0) return [];
  const srv = members.map(
    (i): SrvValue => ({
      priority: 0,
      weight: srvWeight(i.weight),
      port: i.port,
      target: ipaddr.isValid(i.address) ? instanceName(service, i.instanceId, zone.domain) : i.address.toLowerCase().replace(/\.$/, ''),
    }),
  );
  sets.push({ name: srvName(service, zone.domain), type: 'SRV', ttl, values: uniqueBy(srv, srvText) });
  addresses(fqdn(zone.domain, service), members);
  const tags = unique([...healthy, ...all].flatMap((i) => i.tags.map((t) => t.toLowerCase())));
  for (const tag of tags.filter(isDnsLabel))
    addresses(
      fqdn(zone.domain, tag, service),
      pick((i) => i.tags.some((t) => t.toLowerCase() === tag)),
    );
  for (const i of members) if (ipaddr.isValid(i.address)) addresses(instanceName(service, i.instanceId, zone.domain), [i]);
  return sortSets(sets);
}

/**
 * Reads a service's record sets through the registry's own discovery (every page of `status=healthy` and of
 * `status=all`, read side by side), so health, expiry, the lease guard and read scopes are decided there and
 * nowhere else. A caller that may not read the service gets the registry's `ForbiddenError`.
 *
 * @example
 * const sets = await readServiceRecordSets(registry, caller, 'orders', { domain: 'registry.internal', ttlSeconds: 5 });
 */
export async function readServiceRecordSets(registry: Pick<Registry, 'discover'>, caller: Caller, service: string, zone: DnsZoneOptions): Promise<RecordSet[]> {
  const list = async (status: 'healthy' | 'all') => {
    const found: Instance[] = [];
    let cursor: string | undefined;
    do {
      const page = await registry.discover(caller, service, { status, tag: [], limit: 1000, ...(cursor !== undefined && { cursor }) }, {});
      found.push(...page.instances);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return found;
  };
  const [healthy, all] = await Promise.all([list('healthy'), list('all')]);
  return serviceRecordSets(service, healthy, all, zone);
}

/** The canonical text of an address for a record of `type`, or `undefined` when it is not one (a hostname, the other family). */
function addressOf(address: string, type: 'A' | 'AAAA'): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  if (type === 'A') return parsed.kind() === 'ipv4' ? parsed.toString() : undefined;
  return parsed.kind() === 'ipv6' ? parsed.toString() : undefined;
}

/** An SRV value as Route 53 and zone files write it: `priority weight port target.` */
export function srvText(value: SrvValue): string {
  return `${value.priority} ${value.weight} ${value.port} ${value.target}.`;
}

/** The values of a set as text (SRV as {@link srvText}, addresses as they are). */
export function valueTexts(set: RecordSet): string[] {
  return set.type === 'SRV' ? set.values.map(srvText) : [...set.values];
}

/**
 * A record set from Route 53's text form (what ListResourceRecordSets returns), or `undefined` for a type the view
 * never writes. Names lose the trailing dot and their case; IPv6 addresses are normalised, so `::1` and `0:0::1`
 * compare equal.
 */
export function fromText(name: string, type: string, ttl: number, values: readonly string[]): RecordSet | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (type === 'A' || type === 'AAAA') {
    return { name: n, type, ttl, values: unique(values.map((v) => (ipaddr.isValid(v) ? ipaddr.parse(v).toString() : v))) };
  }
  if (type !== 'SRV') return undefined;
  const srv = values.map((v): SrvValue => {
    const [priority, weight, port, target] = v.trim().split(/\s+/);
    return { priority: Number(priority), weight: Number(weight), port: Number(port), target: (target ?? '').toLowerCase().replace(/\.$/, '') };
  });
  return { name: n, type, ttl, values: uniqueBy(srv, srvText) };
}

/** True when the view could have written a record set of this name and type (it never touches anything else). */
export function isOwnedName(name: string, type: string, domain: string): boolean {
  if (type !== 'A' && type !== 'AAAA' && type !== 'SRV') return false;
  const parsed = parseName(name, domain);
  if (parsed.kind !== 'service') return false;
  const n = name.toLowerCase().replace(/\.$/, '');
  const s = parsed.service;
  if (type === 'SRV') return n === srvName(s, domain);
  const relative = n.slice(0, -(domain.length + 1)).split('.');
  // S, <tag>.S, <label>.instance.S
  return relative.length === 1 || relative.length === 2 || (relative.length === 3 && relative[1] === INSTANCE_LABEL);
}

/** A change to a zone: create or replace a set, or delete one exactly as it stands (Route 53 requires that). */
export interface RecordChange {
  readonly action: 'UPSERT' | 'DELETE';
  readonly set: RecordSet;
}

/**
 * What turns `current` into `desired`: an UPSERT for each desired set that is missing or differs (values or TTL), a
 * DELETE of each current set no longer desired. Sets that agree cost nothing, so recomputing a service whose records
 * did not change sends no change at all.
 *
 * @example
 * planChanges([set], []);   // => [{ action: 'UPSERT', set }]
 * planChanges([], [set]);   // => [{ action: 'DELETE', set }]
 */
export function planChanges(desired: readonly RecordSet[], current: readonly RecordSet[]): RecordChange[] {
  const key = (s: RecordSet) => `${s.name}\u0000${s.type}`;
  const now = new Map(current.map((s) => [key(s), s]));
  const wanted = new Map(desired.map((s) => [key(s), s]));
  const changes: RecordChange[] = [];
  for (const [k, set] of wanted) {
    const existing = now.get(k);
    if (!existing || !sameSet(existing, set)) changes.push({ action: 'UPSERT', set });
  }
  for (const [k, set] of now) if (!wanted.has(k)) changes.push({ action: 'DELETE', set });
  return changes;
}

function sameSet(a: RecordSet, b: RecordSet): boolean {
  if (a.ttl !== b.ttl || a.type !== b.type) return false;
  const x = valueTexts(a).sort();
  const y = valueTexts(b).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function sortSets(sets: RecordSet[]): RecordSet[] {
  return sets.sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name < b.name ? -1 : 1));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function uniqueBy<T>(values: readonly T[], text: (v: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const v of values) if (!seen.has(text(v))) seen.set(text(v), v);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** RFC 4648 base32, lower case, unpadded: letters and digits 2–7, so always a valid label. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The zone the DNS view is kept in (Route 53 in AWS: lambdas/handlers/dns-sync.ts). Lists only the record sets the
 * view owns ({@link isOwnedName}); never sees or touches anything else in the zone.
 */
export interface DnsZone {
  /** The owned record sets of one service: at `_S._tcp.D`, `S.D` and every name under `S.D`. */
  listService(service: string): Promise<RecordSet[]>;
  /** Every owned record set under the domain. */
  listAll(): Promise<RecordSet[]>;
  /** Applies changes, batched as the zone allows; returns how many change requests that took. */
  apply(changes: readonly RecordChange[]): Promise<number>;
}

export interface DnsSyncDeps {
  readonly registry: Pick<Registry, 'discover' | 'listServices'>;
  /** Reads every service (`read: ['*']`). */
  readonly caller: Caller;
  readonly zone: DnsZone;
  readonly options: DnsZoneOptions;
  /** The most one record set may hold in the zone (see {@link fitSet}). @default - no limit */
  readonly setLimits?: SetLimits;
}

/** The most values, and characters of values, one record set may hold. */
export interface SetLimits {
  readonly values: number;
  readonly characters: number;
}

/**
 * A record set cut to `limits`, keeping its first values in sorted order (deterministic, so a recomputed set equals
 * the one already written and costs no change). A zone whose change requests have a size limit needs every set to
 * fit one request on its own, or one large service would fail every batch it is in.
 *
 * @example
 * fitSet(set, { values: 400, characters: 15_000 });
 */
export function fitSet(set: RecordSet, limits: SetLimits | undefined): RecordSet {
  if (!limits) return set;
  const texts = valueTexts(set);
  let keep = 0;
  let characters = 0;
  while (keep < texts.length && keep < limits.values && characters + texts[keep]!.length <= limits.characters) characters += texts[keep++]!.length;
  if (keep === texts.length) return set;
  return { ...set, values: set.values.slice(0, keep) } as RecordSet;
}

export interface DnsSyncReport {
  /** Services recomputed. */
  readonly services: number;
  readonly upserts: number;
  readonly deletes: number;
  /** Change requests sent to the zone (one per batch unless a batch is too large for one). */
  readonly requests: number;
}

/**
 * Recomputes the record sets of `services` (each once, however many events named it) and sends what differs from
 * the zone in one batch of changes: what a batch of change events does.
 *
 * @example
 * await syncDnsServices(deps, ['orders', 'payments']);
 */
export async function syncDnsServices(deps: DnsSyncDeps, services: Iterable<string>): Promise<DnsSyncReport> {
  const names = [...new Set(services)].filter(isDnsLabel).sort();
  const changes: RecordChange[] = [];
  for (const service of names) {
    const [desired, current] = await Promise.all([readServiceRecordSets(deps.registry, deps.caller, service, deps.options), deps.zone.listService(service)]);
    changes.push(
      ...planChanges(
        desired.map((set) => fitSet(set, deps.setLimits)),
        current,
      ),
    );
  }
  return report(names.length, changes, await deps.zone.apply(changes));
}

/**
 * Makes the zone hold exactly the view of every service: recomputes each service the registry lists and each the
 * zone still holds records of (so records of a service that no longer exists are deleted), reading the zone once.
 * What the schedule runs, so an event missed or lost heals within one period.
 *
 * @example
 * await reconcileDns(deps);
 */
export async function reconcileDns(deps: DnsSyncDeps): Promise<DnsSyncReport> {
  const current = await deps.zone.listAll();
  const held = new Map<string, RecordSet[]>();
  for (const set of current) {
    const parsed = parseName(set.name, deps.options.domain);
    if (parsed.kind !== 'service') continue;
    held.set(parsed.service, [...(held.get(parsed.service) ?? []), set]);
  }
  const services = new Set(held.keys());
  let after: string | undefined;
  do {
    const page = await deps.registry.listServices(deps.caller, after, 1000);
    for (const summary of page.services) services.add(summary.service);
    after = page.cursor;
  } while (after !== undefined);
  const changes: RecordChange[] = [];
  for (const service of [...services].sort()) {
    const desired = await readServiceRecordSets(deps.registry, deps.caller, service, deps.options);
    changes.push(
      ...planChanges(
        desired.map((set) => fitSet(set, deps.setLimits)),
        held.get(service) ?? [],
      ),
    );
  }
  return report(services.size, changes, await deps.zone.apply(changes));
}

function report(services: number, changes: readonly RecordChange[], requests: number): DnsSyncReport {
  return {
    services,
    upserts: changes.filter((c) => c.action === 'UPSERT').length,
    deletes: changes.filter((c) => c.action === 'DELETE').length,
    requests,
  };
}
