/**
 * The registry's use cases. Handlers call exactly one method each; this class holds every rule that decides
 * an outcome (permissions, ownership, expiry, counters), and talks to storage only through {@link InstanceStore}.
 */
import { isIP } from 'node:net';
import type { AddressPolicy, Resolver } from './address-policy.js';
import { mayWrite, ownerGuard, type Caller } from './caller.js';
import { decodeCursor, discoveryEtag, encodeCursor, initialMode, matches, type DiscoveryFilter, type DiscoveryMode } from './discovery.js';
import { ConflictError, ForbiddenError, InstanceNotFoundError, ValidationError } from './errors.js';
import { draftInstance, firstRevision, isExpired, summaryDelta, type Instance, type InstanceKey } from './instance.js';
import type { InstanceStore } from './ports.js';
import type { DiscoveryQuery, PatchBody, RegisterBody, ServiceSummary } from './schemas.js';

export interface RegistryDeps {
  readonly store: InstanceStore;
  readonly addressPolicy: AddressPolicy;
  readonly resolve: Resolver;
  readonly clock?: () => number;
}

export interface DiscoveryResult {
  readonly instances: readonly Instance[];
  readonly cursor?: string;
  readonly etag: string;
}

/**
 * @example
 * const registry = new Registry({ store, addressPolicy, resolve });
 * const { instance, created } = await registry.register(caller, { service: 'orders', instanceId: 'a' }, body);
 */
export class Registry {
  private readonly store: InstanceStore;
  private readonly clock: () => number;

  constructor(private readonly deps: RegistryDeps) {
    this.store = deps.store;
    this.clock = deps.clock ?? Date.now;
  }

  /** Registers or replaces an instance. `created` is true when no live instance had this id. */
  async register(caller: Caller, key: InstanceKey, body: RegisterBody): Promise<{ instance: Instance; created: boolean }> {
    this.assertMayWrite(caller, key.service);
    await this.assertAddressAllowed(body.address);
    const nowMs = this.clock();
    const draft = draftInstance(key, body, caller.principal, nowMs);
    const result = await this.store.register(draft, { owner: ownerGuard(caller), nowMs });
    if (!result.ok) throw refusedWrite(key, caller, result.current, nowMs);
    const previous = result.previous;
    const instance: Instance = { ...draft, revision: previous ? previous.revision + 1 : firstRevision(nowMs) };
    await this.store.adjustSummary(key.service, summaryDelta(previous, instance));
    return { instance, created: previous === undefined || isExpired(previous, nowMs) };
  }

  /** The live instance, or 404 when it does not exist or its lease has expired. */
  async get(key: InstanceKey): Promise<Instance> {
    const instance = await this.store.get(key);
    if (!instance || isExpired(instance, this.clock())) throw new InstanceNotFoundError(key.service, key.instanceId);
    return instance;
  }

  /** Changes status, weight, metadata or tags of a live instance without re-registering it. */
  async patch(caller: Caller, key: InstanceKey, changes: PatchBody): Promise<Instance> {
    this.assertMayWrite(caller, key.service);
    const nowMs = this.clock();
    const result = await this.store.patch(key, changes, { owner: ownerGuard(caller), nowMs });
    if (!result.ok || !result.previous) throw refusedWrite(key, caller, result.ok ? undefined : result.current, nowMs);
    const previous = result.previous;
    const instance: Instance = { ...previous, ...definedOnly(changes), updatedAtMs: nowMs, revision: previous.revision + 1 };
    await this.store.adjustSummary(key.service, summaryDelta(previous, instance));
    return instance;
  }

  /** Renews the lease. 404 when gone or expired (the client must register again), 409 when probe-driven. */
  async heartbeat(caller: Caller, key: InstanceKey): Promise<Instance> {
    this.assertMayWrite(caller, key.service);
    const nowMs = this.clock();
    const result = await this.store.heartbeat(key, { owner: ownerGuard(caller), nowMs });
    if (result.ok) return result.instance;
    throw refusedWrite(key, caller, result.current, nowMs);
  }

  /** Deletes an instance. A repeat is a 404. */
  async deregister(caller: Caller, key: InstanceKey): Promise<void> {
    this.assertMayWrite(caller, key.service);
    const nowMs = this.clock();
    const result = await this.store.remove(key, { owner: ownerGuard(caller), nowMs });
    if (!result.ok) throw refusedWrite(key, caller, result.current, nowMs);
    await this.store.adjustSummary(key.service, summaryDelta(result.previous, undefined));
  }

  /**
   * One page of a service's instances. With `healthy_or_else_all`, a service with no healthy instance (after the
   * other filters) returns all live ones instead: fail open rather than route nowhere.
   */
  async discover(service: string, query: DiscoveryQuery, meta: Record<string, string>): Promise<DiscoveryResult> {
    const nowMs = this.clock();
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const filter = (mode: DiscoveryMode): DiscoveryFilter => ({ mode, zone: query.zone, tags: query.tag, meta });
    let page = await this.collect(service, filter(start?.mode ?? initialMode(query.status)), start?.after, query.limit, nowMs);
    if (query.status === 'healthy_or_else_all' && start === undefined && page.instances.length === 0 && page.cursor === undefined) {
      page = await this.collect(service, filter('all'), undefined, query.limit, nowMs);
    }
    return { ...page, etag: discoveryEtag(page.instances, page.cursor) };
  }

  /** Every service with its total and healthy counts, from counters kept on write (no scan of instances). */
  async listServices(after: string | undefined, limit: number): Promise<{ services: readonly ServiceSummary[]; cursor?: string }> {
    const page = await this.store.listSummaries(after, limit);
    return { services: page.summaries, ...(page.lastService !== undefined && { cursor: page.lastService }) };
  }

  private async collect(service: string, filter: DiscoveryFilter, after: string | undefined, limit: number, nowMs: number) {
    const instances: Instance[] = [];
    let from = after;
    for (;;) {
      const page = await this.store.page(service, from, Math.min(1000, Math.max(limit - instances.length, 25)));
      for (const item of page.items) {
        if (!matches(item, filter, nowMs)) continue;
        instances.push(item);
        if (instances.length === limit) {
          const more = item !== page.items[page.items.length - 1] || page.lastId !== undefined;
          return { instances, ...(more && { cursor: encodeCursor({ after: item.instanceId, mode: filter.mode }) }) };
        }
      }
      if (page.lastId === undefined) return { instances };
      from = page.lastId;
    }
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

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
