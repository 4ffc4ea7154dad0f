/**
 * The registry's use cases. Handlers call exactly one method each; this class holds every rule that decides
 * an outcome (permissions, ownership, expiry), and talks to storage only through {@link InstanceStore}. Each write
 * use case makes one write: the service counters are derived from the stream (lambdas/domain/stream-counters.ts).
 */
import { isIP } from 'node:net';
import pMap from 'p-map';
import type { AddressPolicy, Resolver } from './address-policy.js';
import { mayRead, mayWrite, ownerGuard, type Caller } from './caller.js';
import {
  decodeCursor,
  discoveryEtag,
  encodeCursor,
  initialMode,
  matches,
  MAX_PAGE_BYTES,
  recordBytes,
  type DiscoveryFilter,
  type DiscoveryMode,
} from './discovery.js';
import { ConflictError, ForbiddenError, InstanceNotFoundError, ValidationError } from './errors.js';
import { draftInstance, isExpired, keptByLeaseGuard, nextInstance, type Instance, type InstanceChanges, type InstanceKey } from './instance.js';
import type { StoredChange } from './events.js';
import { NO_NOTIFIER, type ChangeNotifier } from './fast-publish.js';
import type { InstanceStore, RenewedLease } from './ports.js';
import { DEFAULT_PROTECTION, DEFAULT_PROVISIONAL, LeaseTally, type ProtectionState, type ProvisionalOptions } from './protection.js';
import { BULK_MAX_ITEMS, type DiscoveryQuery, type ProtectionStatus, type RegisterBody, type ServiceSummary } from '@service-registry/contracts';
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';

/** The mass-failure guard's state as the prober last wrote it; what reads need of it. */
export type GuardState = Pick<ProtectionState, 'engaged' | 'leaseEngaged' | 'probeEngaged' | 'atMs' | 'leaseSinceMs' | 'leaseCutoffMs'>;

/**
 * Extra time reads allow past the lease guard's maximum before they stop trusting the state item: the prober lets
 * go at the maximum in its next round (interval + round time), so a live prober always writes the release first.
 */
const GUARD_TRUST_SLACK_MS = 120_000;

/**
 * The guard's state as reads may trust it. The prober releases the lease guard at `maxLeaseProtectionSeconds` at
 * the latest; an item still saying "engaged" well after that was left by a prober that died while engaged, and
 * must not keep expired instances in discovery for ever.
 *
 * @example
 * trustedGuard({ engaged: true, leaseEngaged: true, probeEngaged: false, atMs: 0, leaseSinceMs: 0 }, 3_600_000, 900);
 * // => { engaged: false, leaseEngaged: false, ... }
 */
export function trustedGuard(state: GuardState, nowMs: number, maxLeaseProtectionSeconds: number): GuardState {
  if (!state.leaseEngaged) return state;
  const since = state.leaseSinceMs ?? state.atMs;
  if (nowMs - since <= maxLeaseProtectionSeconds * 1000 + GUARD_TRUST_SLACK_MS) return state;
  return { ...state, leaseEngaged: false, engaged: state.probeEngaged };
}

/**
 * Reads the guard's state item of the prober shard a service belongs to (the prober writes it; reads consult it
 * only when it can change their answer).
 */
export interface ProtectionReader {
  readProtection(service: string): Promise<GuardState | undefined>;
}

export interface RegistryDeps {
  readonly store: InstanceStore;
  readonly addressPolicy: AddressPolicy;
  readonly resolve: Resolver;
  /** Where reads learn whether the lease guard is engaged. @default - never engaged */
  readonly protection?: ProtectionReader;
  /** The lease guard's maximum (`REGISTRY_PROTECTION_MAX_SECONDS`); reads stop trusting an older engagement. @default 900 */
  readonly maxLeaseProtectionSeconds?: number;
  /** How reads judge a mass expiry the prober has not judged yet (see {@link LeaseTally}). @default - {@link DEFAULT_PROVISIONAL} */
  readonly provisional?: ProvisionalOptions;
  readonly clock?: () => number;
  /** Most record bytes per discovery page. @default - {@link MAX_PAGE_BYTES} */
  readonly maxPageBytes?: number;
  /** Writes a bulk request keeps in flight at once (see {@link Registry.registerMany}). @default - {@link BULK_CONCURRENCY} */
  readonly bulkConcurrency?: number;
  /**
   * Publishes each change's event right after its write (the fast path, lambdas/domain/fast-publish.ts); the stream
   * publisher publishes the same event again as the backstop. @default - none: the stream publisher alone
   */
  readonly notifier?: ChangeNotifier;
}

/**
 * Conditional writes a bulk request keeps in flight: enough to hide DynamoDB's per-request latency (100 items take
 * about 7 round trips), few enough that a batch does not crowd out the function's other requests or burst one
 * partition. 16 is the concurrency at which the issue measured DynamoDB Local's conditional-write floor.
 */
export const BULK_CONCURRENCY = DEFAULTS.bulkConcurrency;

/** One item's outcome in a bulk request: its value, or the domain error (or unexpected failure) a single call would have thrown. */
export type BulkOutcome<T> =
  | { readonly instanceId: string; readonly ok: true; readonly value: T }
  | { readonly instanceId: string; readonly ok: false; readonly error: unknown };

/** One instance of a bulk registration: its id and its (parsed) register body. */
export interface BulkRegistration {
  readonly instanceId: string;
  readonly body: RegisterBody;
}

export interface DiscoveryResult {
  readonly instances: readonly Instance[];
  readonly cursor?: string;
  readonly etag: string;
  /** Present while the guard is engaged, when this answer consulted it (see {@link Registry.discover}). */
  readonly protection?: ProtectionStatus;
}

/**
 * @example
 * const registry = new Registry({ store, addressPolicy, resolve });
 * const { instance, created } = await registry.register(caller, { service: 'orders', instanceId: 'a' }, body);
 */
export class Registry {
  private readonly store: InstanceStore;
  private readonly clock: () => number;
  private readonly protection: ProtectionReader;
  private readonly maxPageBytes: number;
  private readonly provisional: ProvisionalOptions;
  private readonly notifier: ChangeNotifier;

  constructor(private readonly deps: RegistryDeps) {
    this.store = deps.store;
    this.notifier = deps.notifier ?? NO_NOTIFIER;
    this.clock = deps.clock ?? Date.now;
    const reader = deps.protection;
    const maxSeconds = deps.maxLeaseProtectionSeconds ?? DEFAULT_PROTECTION.maxLeaseProtectionSeconds;
    this.protection = {
      readProtection: async (service) => {
        const state = await reader?.readProtection(service);
        return state && trustedGuard(state, this.clock(), maxSeconds);
      },
    };
    this.maxPageBytes = deps.maxPageBytes ?? MAX_PAGE_BYTES;
    this.provisional = deps.provisional ?? DEFAULT_PROVISIONAL;
  }

  /** Registers or replaces an instance. `created` is true when no live instance had this id. */
  async register(caller: Caller, key: InstanceKey, body: RegisterBody): Promise<{ instance: Instance; created: boolean }> {
    this.assertMayWrite(caller, key.service);
    const { change, ...registered } = await this.registerOne(caller, key, body);
    await this.notifier.notify([change]);
    return registered;
  }

  /**
   * Registers or replaces up to {@link BULK_MAX_ITEMS} instances of one service, each exactly as {@link register}
   * would (address policy, ownership, the same conditional write, the same change event from the stream), and
   * answers one outcome per item in the order given: one item's refusal does not stop the others.
   *
   * Each item stays its own conditional write, run {@link BULK_CONCURRENCY} at a time: DynamoDB's `BatchWriteItem`
   * takes no condition expressions (so it could not check ownership or expiry), and `TransactWriteItems` would make
   * one refused item fail them all. What a batch saves is the request around the writes (one API call and one
   * invocation for up to 100 instances); the service counters are the stream publisher's, one write per batch.
   *
   * A caller that may not write the service is refused as a whole (403), as are duplicate ids or more than
   * {@link BULK_MAX_ITEMS} items (400): then nothing is written. No items (every one refused by the edge's
   * validation) writes nothing, after the same permission check.
   *
   * @example
   * const outcomes = await registry.registerMany(caller, 'orders', [{ instanceId: 'a', body }, { instanceId: 'b', body }]);
   * outcomes.filter((o) => !o.ok); // the items refused, each with the error a single register would have thrown
   */
  async registerMany(caller: Caller, service: string, items: readonly BulkRegistration[]): Promise<BulkOutcome<{ instance: Instance; created: boolean }>[]> {
    this.assertMayWrite(caller, service);
    assertBatch(items.map((item) => item.instanceId));
    const changes: StoredChange[] = [];
    const outcomes = await this.eachItem(items, async ({ instanceId, body }) => {
      const { change, ...registered } = await this.registerOne(caller, { service, instanceId }, body);
      changes.push(change);
      return registered;
    });
    await this.notifier.notify(changes);
    return outcomes;
  }

  /**
   * One registration's write — the only one it makes (the stream publisher derives the service counters) — and the
   * change it stored, for the caller to publish.
   */
  private async registerOne(caller: Caller, key: InstanceKey, body: RegisterBody): Promise<{ instance: Instance; created: boolean; change: StoredChange }> {
    await this.assertAddressAllowed(body.address);
    const nowMs = this.clock();
    const draft = draftInstance(key, body, caller.principal, nowMs);
    const result = await this.store.register(draft, { owner: ownerGuard(caller), nowMs, principal: caller.principal });
    if (!result.ok) throw refusedWrite(key, caller, result.current, nowMs);
    const previous = result.previous;
    const instance = nextInstance(previous, { kind: 'register', draft }, nowMs);
    return { instance, created: previous === undefined || isExpired(previous, nowMs), change: written(previous, instance, 'register') };
  }

  /**
   * The live instance, or 404 when it does not exist or its lease has expired. While the lease guard is engaged, or
   * reads judge provisionally that it would be (see {@link Registry.discover}), an expired-but-present instance is
   * returned marked (`leaseExpired`, health `unknown`) instead.
   */
  async get(caller: Caller, key: InstanceKey): Promise<Instance> {
    this.assertMayRead(caller, key.service);
    const nowMs = this.clock();
    const instance = await this.store.get(key);
    if (!instance) throw new InstanceNotFoundError(key.service, key.instanceId);
    if (!isExpired(instance, nowMs)) return instance;
    // Only an expired item makes the guard matter, so only then is its state read.
    const state = await this.protection.readProtection(key.service);
    if (state?.leaseEngaged === true) return keptByLeaseGuard(instance);
    // An expiry the prober may not have judged yet: judge it as discovery would, over the service's first page.
    const tally = new LeaseTally(this.provisional, nowMs, state?.leaseCutoffMs);
    if (tally.recent(instance)) {
      tally.add((await this.store.page(key.service, undefined, 1000)).items);
      if (tally.keeps(instance)) return keptByLeaseGuard(instance);
    }
    throw new InstanceNotFoundError(key.service, key.instanceId);
  }

  /** Changes status, weight, metadata or tags of a live instance without re-registering it. */
  async patch(caller: Caller, key: InstanceKey, changes: InstanceChanges): Promise<Instance> {
    this.assertMayWrite(caller, key.service);
    const nowMs = this.clock();
    const result = await this.store.patch(key, changes, { owner: ownerGuard(caller), nowMs, principal: caller.principal });
    if (!result.ok || !result.previous) throw refusedWrite(key, caller, result.ok ? undefined : result.current, nowMs);
    const previous = result.previous;
    const instance = nextInstance(previous, { kind: 'patch', changes }, nowMs);
    await this.notifier.notify([written(previous, instance, 'patch')]);
    return instance;
  }

  /** Renews the lease. 404 when gone or expired (the client must register again), 409 when probe-driven. */
  async heartbeat(caller: Caller, key: InstanceKey): Promise<RenewedLease> {
    this.assertMayWrite(caller, key.service);
    return this.heartbeatOne(caller, key);
  }

  /**
   * Renews the leases of up to {@link BULK_MAX_ITEMS} instances of one service, each exactly as {@link heartbeat}
   * would (the same conditional update, so ownership and expiry are checked per instance), one outcome per id in the
   * order given. Like {@link registerMany}, each renewal stays its own conditional write ({@link BULK_CONCURRENCY} at
   * a time): `BatchWriteItem` carries no conditions. The saving is the request: one API call and one invocation
   * renew every instance an agent holds. A caller that may not write the service, duplicate ids or more than
   * {@link BULK_MAX_ITEMS} ids are refused as a whole, before anything is written.
   *
   * @example
   * const outcomes = await registry.heartbeatMany(caller, 'orders', ['a', 'b']);
   */
  async heartbeatMany(caller: Caller, service: string, instanceIds: readonly string[]): Promise<BulkOutcome<RenewedLease>[]> {
    this.assertMayWrite(caller, service);
    assertBatch(instanceIds);
    return this.eachItem(
      instanceIds.map((instanceId) => ({ instanceId })),
      ({ instanceId }) => this.heartbeatOne(caller, { service, instanceId }),
    );
  }

  private async heartbeatOne(caller: Caller, key: InstanceKey): Promise<RenewedLease> {
    const nowMs = this.clock();
    const result = await this.store.heartbeat(key, { owner: ownerGuard(caller), nowMs, principal: caller.principal });
    if (result.ok) return result.instance;
    throw refusedWrite(key, caller, result.current, nowMs);
  }

  /**
   * Deletes a live instance. A repeat is a 404, and so is an expired one: it is already gone, and the sweeper
   * removes it as an expiry (`Instance Expired`), not as a deregistration.
   */
  async deregister(caller: Caller, key: InstanceKey): Promise<void> {
    this.assertMayWrite(caller, key.service);
    const nowMs = this.clock();
    const result = await this.store.remove(key, { owner: ownerGuard(caller), nowMs, principal: caller.principal });
    if (!result.ok) throw refusedWrite(key, caller, result.current, nowMs);
    // The removal's time is the one the store stamped on the item before deleting it (`removedAtMs`), which the
    // stream publisher reads from the old image: both publish the same event.
    const removal: StoredChange[] = result.previous ? [{ kind: 'instance', oldImage: result.previous, byTtl: false, atMs: nowMs }] : [];
    await this.notifier.notify(removal);
  }

  /**
   * One page of a service's instances. With `healthy_or_else_all`, a service with no healthy instance (after the
   * other filters) returns all live ones instead: fail open rather than route nowhere.
   *
   * While the lease guard is engaged (the prober judged that too many leases lapsed at once for it to be a real
   * death), instances whose lease ran out are kept, marked `leaseExpired` with health `unknown`, so a registry-side
   * outage (heartbeats throttled, a bad deploy) never empties discovery. Before the prober's next round has judged
   * a mass expiry, the read judges it provisionally over the leased instances of the pages it read
   * ({@link LeaseTally}) and keeps the expired ones marked the same way, saying `provisional` in `protection`. The
   * guard's state item is read only when it can change the answer: when a page meets an expired-but-present
   * instance, or the answer is empty (so a client never takes an empty list for the truth while the guard is
   * engaged). A steady fleet, whose expired instances the sweeper removes within two rounds, pays no extra read;
   * nothing is cached across requests, so the guard's release takes effect on the next read. The answer carries
   * `protection` whenever it consulted the guard and found it engaged, or kept an expired lease provisionally.
   */
  async discover(caller: Caller, service: string, query: DiscoveryQuery, meta: Record<string, string>): Promise<DiscoveryResult> {
    this.assertMayRead(caller, service);
    const nowMs = this.clock();
    const guard = this.guardOnce(service);
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const filter = (mode: DiscoveryMode): DiscoveryFilter => ({ mode, zone: query.zone, tags: query.tag, meta });
    let page = await this.collect(service, filter(start?.mode ?? initialMode(query.status)), start?.after, query.limit, nowMs, guard);
    if (query.status === 'healthy_or_else_all' && start === undefined && page.instances.length === 0 && page.cursor === undefined) {
      page = await this.collect(service, filter('all'), undefined, query.limit, nowMs, guard);
    }
    if (page.instances.length === 0) await guard.state();
    const protection = protectionStatus(guard.consulted(), page.provisionalSinceMs);
    return {
      instances: page.instances,
      ...(page.cursor !== undefined && { cursor: page.cursor }),
      etag: discoveryEtag(page.instances, page.cursor, protection),
      ...(protection && { protection }),
    };
  }

  /**
   * Services the caller may read, with their total and healthy counts, from counters the stream publisher derives
   * from every write (no scan of instances): eventually consistent, they trail a write by one stream poll. A caller with a narrower read scope sees only its services; pages still hold up to `limit`.
   */
  async listServices(caller: Caller, after: string | undefined, limit: number): Promise<{ services: readonly ServiceSummary[]; cursor?: string }> {
    const services: ServiceSummary[] = [];
    let from = after;
    for (;;) {
      const page = await this.store.listSummaries(from, limit);
      for (const [index, summary] of page.summaries.entries()) {
        if (!mayRead(caller, summary.service)) continue;
        services.push(summary);
        if (services.length === limit) {
          const more = index < page.summaries.length - 1 || page.lastService !== undefined;
          return { services, ...(more && { cursor: summary.service }) };
        }
      }
      if (page.lastService === undefined) return { services };
      from = page.lastService;
    }
  }

  private async collect(service: string, filter: DiscoveryFilter, after: string | undefined, limit: number, nowMs: number, guard: GuardLookup) {
    const instances: Instance[] = [];
    let bytes = 0;
    let from = after;
    /** Provisional judgment over the leases of the pages read so far; the earliest expiry it kept an instance for. */
    const tally = new LeaseTally(this.provisional, nowMs);
    let provisionalSinceMs: number | undefined;
    const cut = (more: boolean) => {
      const last = instances[instances.length - 1];
      return { instances, ...(more && last && { cursor: encodeCursor({ after: last.instanceId, mode: filter.mode }) }), provisionalSinceMs };
    };
    for (;;) {
      const page = await this.store.page(service, from, Math.min(1000, Math.max(limit - instances.length, 25)));
      // Only a page holding an expired lease needs the guard: then its state is read (once per request).
      if (page.items.some((item) => isExpired(item, nowMs))) tally.cutoffMs = (await guard.state())?.leaseCutoffMs;
      tally.add(page.items);
      for (const [index, item] of page.items.entries()) {
        const expired = isExpired(item, nowMs);
        const guarded = expired && guard.consulted()?.leaseEngaged === true;
        const provisional = expired && !guarded && tally?.keeps(item) === true;
        const keep = guarded || provisional;
        if (!matches(item, filter, nowMs, keep)) continue;
        if (provisional) provisionalSinceMs = Math.min(provisionalSinceMs ?? item.leaseExpiresAtMs!, item.leaseExpiresAtMs!);
        const shown = keep ? keptByLeaseGuard(item) : item;
        // A page ends at `limit` records or at the byte budget, whichever comes first (always at least one record).
        const size = recordBytes(shown);
        if (instances.length > 0 && bytes + size > this.maxPageBytes) return cut(true);
        instances.push(shown);
        bytes += size;
        if (instances.length === limit) return cut(index < page.items.length - 1 || page.lastId !== undefined);
      }
      if (page.lastId === undefined) return cut(false);
      from = page.lastId;
    }
  }

  /** The guard's state, read at most once per request and only if asked for. */
  private guardOnce(service: string): GuardLookup {
    let read: Promise<GuardState | undefined> | undefined;
    let value: GuardState | undefined;
    return {
      state: () => (read ??= this.protection.readProtection(service).then((state) => (value = state))),
      consulted: () => value,
    };
  }

  /** Runs `fn` over the items, a bounded number at a time, keeping each one's value or error in the items' order. */
  private eachItem<I extends { readonly instanceId: string }, T>(items: readonly I[], fn: (item: I) => Promise<T>): Promise<BulkOutcome<T>[]> {
    return pMap(
      items,
      async (item): Promise<BulkOutcome<T>> => {
        try {
          return { instanceId: item.instanceId, ok: true, value: await fn(item) };
        } catch (error) {
          return { instanceId: item.instanceId, ok: false, error };
        }
      },
      { concurrency: this.deps.bulkConcurrency ?? BULK_CONCURRENCY },
    );
  }

  private assertMayRead(caller: Caller, service: string): void {
    if (!mayRead(caller, service)) throw new ForbiddenError(`principal '${caller.principal}' may not read service '${service}'`);
  }

  private assertMayWrite(caller: Caller, service: string): void {
    if (!mayWrite(caller, service)) throw new ForbiddenError(`principal '${caller.principal}' may not write service '${service}'`);
  }

  private async assertAddressAllowed(address: string): Promise<void> {
    const refuse = (message: string) => new ValidationError([{ field: 'body.address', message }]);
    if (isIP(address)) {
      const refusal = this.deps.addressPolicy.refusal(address);
      if (refusal) throw refuse(refusal);
      return;
    }
    // A hostname that does not resolve here is accepted (it may resolve only where clients run); one that
    // resolves to any refused address is not. The prober checks again at probe time.
    const resolved = await this.deps.resolve(address).catch(() => [] as string[]);
    for (const ip of resolved) {
      const refusal = this.deps.addressPolicy.refusal(ip);
      if (refusal) throw refuse(`${address} resolves to a refused address: ${refusal}`);
    }
  }
}

/**
 * The change a register or patch stored, as the stream will carry it: the item before and after, the kind of write,
 * and its time (the new item's `updatedAtMs`, which the stream publisher uses too).
 */
function written(previous: Instance | undefined, instance: Instance, write: 'register' | 'patch'): StoredChange {
  return { kind: 'instance', ...(previous && { oldImage: previous }), newImage: instance, write, byTtl: false, atMs: instance.updatedAtMs };
}

/**
 * A bulk request's ids: at most {@link BULK_MAX_ITEMS}, none twice (two writes to one instance in one batch would
 * race). The route's schema refuses these first (and an empty request); checked here too, since the rule is the use
 * case's. No items is no work: the edge passes only the items whose bodies passed validation, which may be none.
 */
function assertBatch(instanceIds: readonly string[]): void {
  const problem = (message: string) => new ValidationError([{ field: 'body', message }]);
  if (instanceIds.length > BULK_MAX_ITEMS) throw problem(`at most ${BULK_MAX_ITEMS} instances per request`);
  const seen = new Set<string>();
  for (const id of instanceIds) {
    if (seen.has(id)) throw problem(`instance id '${id}' is given more than once`);
    seen.add(id);
  }
}

/**
 * Why a conditional write was refused, from the item that stopped it: missing or expired → 404, someone else's →
 * 403, otherwise (ours, live, yet refused: only a heartbeat to a lease-less instance) → 409.
 */
function refusedWrite(key: InstanceKey, caller: Caller, current: Instance | undefined, nowMs: number): Error {
  if (!current || isExpired(current, nowMs)) return new InstanceNotFoundError(key.service, key.instanceId);
  const owner = ownerGuard(caller);
  if (owner !== undefined && current.owner !== owner) {
    return new ForbiddenError(`instance '${key.instanceId}' of service '${key.service}' is owned by another principal`);
  }
  return new ConflictError(`instance '${key.instanceId}' of service '${key.service}' is probe-driven and has no lease to renew`);
}

interface GuardLookup {
  /** Reads the state on first call; later calls share that read. */
  state(): Promise<GuardState | undefined>;
  /** The state if it was read, else `undefined`. */
  consulted(): GuardState | undefined;
}

/**
 * What a discovery answer says about the guard: present while it is engaged, or when the read kept expired leases
 * provisionally (`provisionalSinceMs`: the earliest expiry it kept; then `provisional: true`). `since` is when the
 * lease guard engaged while it is engaged, when the guard's state last changed otherwise.
 */
function protectionStatus(state: GuardState | undefined, provisionalSinceMs?: number): ProtectionStatus | undefined {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (provisionalSinceMs !== undefined && state?.leaseEngaged !== true) {
    return { engaged: true, leases: true, probes: state?.probeEngaged === true, since: iso(provisionalSinceMs), provisional: true };
  }
  if (!state?.engaged) return undefined;
  return {
    engaged: true,
    leases: state.leaseEngaged,
    probes: state.probeEngaged,
    since: iso(state.leaseEngaged ? (state.leaseSinceMs ?? state.atMs) : state.atMs),
  };
}
