/**
 * A gateway's cache of one service's instances: a snapshot from discovery, then change events applied by
 * `revision` (older or duplicate events are ignored, removals leave a tombstone so a late older event cannot bring
 * an instance back), a periodic cheap re-check with `If-None-Match` (304 when nothing changed) that resyncs on a
 * mismatch, and stale-if-error: when the registry is unreachable it keeps serving the last known instances.
 *
 * Registry protection: while the registry's mass-failure guard is engaged (learnt from the `protection` field of a
 * discovery answer and from `Registry Protection Engaged` / `Released` events), an empty snapshot never replaces a
 * populated cache — the registry itself is the likelier fault, and an empty service is an outage the registry
 * caused. The held list is replaced by the first snapshot taken after protection is released.
 *
 * A `Registry Resync Required` event naming the service (the publisher could not publish some of its changes yet)
 * reloads it from discovery; changes that arrive later are older than the snapshot and ignored by revision.
 */
import type { InstanceRecord } from '@service-registry/contracts';
import type { RegistryClient } from './client.js';
import type { RegistryEvent } from './events.js';
import type { ChangeFeed, FeedHandlers } from './feeds.js';

export interface ServiceCacheOptions {
  /** The client the snapshots and re-checks are read with. */
  readonly client: RegistryClient;
  /** The service this cache holds. */
  readonly service: string;
  /** Re-check interval. @default 30000 */
  readonly recheckMs?: number;
  /** Called with the new instance list after every change. */
  readonly onChange?: (instances: readonly InstanceRecord[]) => void;
  /** The clock propagation lag is measured with. @default Date.now */
  readonly now?: () => number;
}

/**
 * @example
 * const cache = new ServiceCache({ client, service: 'orders', onChange: (i) => balancer.update(i) });
 * await cache.start();
 * feed.start(cache.feedHandlers());
 */
export class ServiceCache {
  private readonly byId = new Map<string, InstanceRecord>();
  private readonly removedAt = new Map<string, number>();
  private list: readonly InstanceRecord[] = [];
  private etag = '';
  private timer?: NodeJS.Timeout;
  private resyncing: Promise<void> | undefined;
  private readonly lags: number[] = [];
  private engaged = false;
  /** Counts protection events, so a snapshot does not overwrite what an event said while the snapshot was in flight. */
  private protectionEvents = 0;
  private heldEmpty = false;
  /** True while the last contact with the registry failed: the list is the last known one. */
  stale = false;

  constructor(private readonly options: ServiceCacheOptions) {}

  /** Loads the snapshot and starts the periodic re-check. */
  async start(): Promise<void> {
    await this.resync();
    const every = this.options.recheckMs ?? 30_000;
    const tick = () => {
      this.timer = setTimeout(() => void this.recheck().finally(tick), every);
      this.timer.unref?.();
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Every live instance known (healthy or not: balancers decide, e.g. in panic mode). */
  instances(): readonly InstanceRecord[] {
    return this.list;
  }

  /** Whether the registry's mass-failure guard is engaged, as last learnt from discovery or the feed. */
  get protectionEngaged(): boolean {
    return this.engaged;
  }

  /**
   * True while the cache holds its last populated list because the registry answered with no instance during
   * protection (see the module doc).
   */
  get holding(): boolean {
    return this.heldEmpty;
  }

  /** Handlers for a {@link ChangeFeed}. */
  feedHandlers(): FeedHandlers {
    return { onEvent: (event: RegistryEvent) => this.apply(event), onGap: () => void this.resync().catch(() => undefined) };
  }

  /**
   * Applies one event: an instance change if it is newer than what the cache holds for that instance; the guard's
   * `Registry Protection Engaged` / `Released` (a release resyncs a cache that was holding its list).
   *
   * `Registry Resync Required` resyncs when it names this service.
   *
   * @returns true when the instance list changed or a resync was started
   */
  apply(event: RegistryEvent): boolean {
    // Destructured so the detail-type narrows the detail (typed against the contract: a rename there fails here).
    const { 'detail-type': type, detail } = event;
    if (type === 'Registry Protection Engaged' || type === 'Registry Protection Released') {
      this.engaged = type === 'Registry Protection Engaged';
      this.protectionEvents++;
      if (this.engaged || !this.heldEmpty) return false;
      void this.resync().catch(() => undefined);
      return true;
    }
    if (type === 'Registry Resync Required') {
      // `services` names the affected services, never empty (the contract's `resyncEventDetail`).
      if (!detail.services.includes(this.options.service)) return false;
      void this.resync().catch(() => undefined);
      return true;
    }
    if (detail.service !== this.options.service) return false;
    const held = this.byId.get(detail.instanceId)?.revision ?? this.removedAt.get(detail.instanceId) ?? -1;
    if (detail.revision <= held) return false;
    if (detail.instance) {
      this.byId.set(detail.instanceId, detail.instance);
      this.removedAt.delete(detail.instanceId);
    } else {
      this.byId.delete(detail.instanceId);
      this.removedAt.set(detail.instanceId, detail.revision);
    }
    const lag = (this.options.now ?? Date.now)() - Date.parse(detail.time);
    this.lags.push(lag);
    if (this.lags.length > 1000) this.lags.shift();
    this.publish();
    return true;
  }

  /** Propagation lag (change time → applied here) over the last 1,000 events, in ms. */
  lag(): { count: number; p50: number; p99: number; max: number } {
    const sorted = [...this.lags].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
    return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
  }

  /** Cheap re-check: a 304 means the registry's set matches ours; anything else resyncs. Errors leave the list as is. */
  async recheck(): Promise<void> {
    try {
      const page = await this.options.client.discover(this.options.service, { status: 'all', limit: 1000 }, this.etag || undefined);
      this.stale = false;
      if (page.notModified) return;
      await this.resync();
    } catch {
      this.stale = true;
    }
  }

  /** Replaces the cache with a fresh snapshot (keeping events applied meanwhile that are newer). */
  resync(): Promise<void> {
    this.resyncing ??= (async () => {
      try {
        const eventsBefore = this.protectionEvents;
        const { instances, etag, protection } = await this.options.client.discoverAll(this.options.service, { status: 'all' });
        // The answer is the registry's word at the time of the read (engaged exactly when it carries `protection`),
        // unless a protection event arrived while it was in flight: that one may be newer.
        if (this.protectionEvents === eventsBefore) this.engaged = protection?.engaged === true;
        this.stale = false;
        if (instances.length === 0 && this.byId.size > 0 && this.engaged) {
          // Keep the populated list (and the old ETag, so the next re-check asks again) rather than empty the service.
          this.heldEmpty = true;
          return;
        }
        this.heldEmpty = false;
        const fresh = new Map(instances.map((i) => [i.instanceId, i]));
        for (const [id, held] of this.byId) {
          const got = fresh.get(id);
          // An event applied while the snapshot was in flight may be newer than the snapshot.
          if (got && held.revision > got.revision) fresh.set(id, held);
        }
        for (const [id, revision] of this.removedAt) if ((fresh.get(id)?.revision ?? -1) <= revision) fresh.delete(id);
        this.byId.clear();
        for (const [id, instance] of fresh) this.byId.set(id, instance);
        this.etag = etag;
        this.publish();
      } catch (error) {
        this.stale = true;
        throw error;
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  private publish(): void {
    this.list = [...this.byId.values()];
    this.options.onChange?.(this.list);
  }
}
