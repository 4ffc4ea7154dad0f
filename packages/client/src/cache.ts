/**
 * A gateway's cache of one service's instances: a snapshot from discovery, then change events applied by
 * `revision` (older or duplicate events are ignored, removals leave a tombstone so a late older event cannot bring
 * an instance back), a periodic cheap re-check with `If-None-Match` (304 when nothing changed) that resyncs on a
 * mismatch, and stale-if-error: when the registry is unreachable it keeps serving the last known instances.
 *
 * An empty answer never empties a populated cache on its own word. Removal events (`Instance Deregistered` /
 * `Instance Expired`) apply at once, so a service that really goes away is emptied by its events; an empty snapshot
 * that no removal event explains is held:
 * - while the registry's mass-failure guard protects the service (the answer's `protection`, provisional or not),
 *   for as long as it does: the registry itself is the likelier fault, and an empty service is an outage the
 *   registry caused. The held list is replaced by the first snapshot taken after protection is released.
 * - otherwise, until it is confirmed: the cache keeps its list (marking nothing), asks again after
 *   `confirmEmptyMs`, and applies the empty list only if the answer is still empty then. This covers the gap before
 *   the prober's guard engages (reads keep expired leases provisionally only in services with enough leases to
 *   judge a mass expiry; below that, discovery can answer empty for up to two prober rounds).
 *
 * Protection events are per prober shard (`detail.shard`), and which shard a service is in depends on the
 * prober's shard count, which a client does not know. So the cache trusts them only in the safe direction: a
 * `Registry Protection Engaged` (of any shard) makes it hold; a `Registry Protection Released` makes it re-check its
 * service through discovery, whose answer says whether protection still holds for that service.
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
  /**
   * How long an empty discovery answer that no removal event explains must persist before it replaces a populated
   * list (the cache asks again after this delay and applies the empty list only if it is still empty). It must
   * outlast the gap before the registry's mass-failure guard engages after a registry-side outage (heartbeats lost):
   * up to two prober rounds, plus, in AWS, the seconds the next prober invocation may take to take the lock over —
   * the same window the registry's reads allow the prober to judge a mass expiry (two rounds + 10 s). Set it to
   * `2 × probeInterval + 10 s` of your registry; once the guard engages, answers carry `protection` and the list is
   * held for as long as they do. 0 applies an empty answer at once.
   * @default 30000 - two rounds of the registry's default prober interval (10 s) plus 10 s
   */
  readonly confirmEmptyMs?: number;
  /** Called with the new instance list after every change. */
  readonly onChange?: (instances: readonly InstanceRecord[]) => void;
  /** The clock propagation lag and the confirmation of an empty answer are measured with. @default Date.now */
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
  private confirmTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resyncing: Promise<void> | undefined;
  /** A protection release arrived while a snapshot was in flight (maybe read before it): take another one after. */
  private resyncAgain = false;
  /** When discovery first answered empty while the cache held instances (unset once confirmed or contradicted). */
  private emptySince: number | undefined;
  private readonly lags: number[] = [];
  private engaged = false;
  /** Counts `Engaged` events, so a snapshot does not overwrite what an event said while the snapshot was in flight. */
  private protectionEvents = 0;
  private heldEmpty = false;
  /** True while the last contact with the registry failed: the list is the last known one. */
  stale = false;

  constructor(private readonly options: ServiceCacheOptions) {
    const confirm = options.confirmEmptyMs;
    if (confirm !== undefined && !(Number.isFinite(confirm) && confirm >= 0))
      throw new RangeError(`confirmEmptyMs must be a finite number of milliseconds >= 0, got ${confirm}`);
  }

  /** Loads the snapshot and starts the periodic re-check. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.resync();
    const every = this.options.recheckMs ?? 30_000;
    const tick = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.recheck().finally(tick), every);
      this.timer.unref?.();
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
  }

  /** Every live instance known (healthy or not: balancers decide, e.g. in panic mode). */
  instances(): readonly InstanceRecord[] {
    return this.list;
  }

  /**
   * Whether the cache treats the registry's mass-failure guard as engaged for its service: as the last discovery
   * answer said, or since a `Registry Protection Engaged` event of any shard (conservatively; the next snapshot, and
   * the re-check a `Released` event starts, say whether it holds for this service).
   */
  get protectionEngaged(): boolean {
    return this.engaged;
  }

  /**
   * True while the cache holds its last populated list although the registry answered with no instance: during
   * protection, or while the empty answer awaits confirmation ({@link confirmingEmpty}; see the module doc).
   */
  get holding(): boolean {
    return this.heldEmpty;
  }

  /** True while an empty answer is held until it is confirmed (no protection said, no removal event explains it). */
  get confirmingEmpty(): boolean {
    return this.heldEmpty && this.emptySince !== undefined;
  }

  /** Handlers for a {@link ChangeFeed}. */
  feedHandlers(): FeedHandlers {
    return { onEvent: (event: RegistryEvent) => this.apply(event), onGap: () => void this.resync().catch(() => undefined) };
  }

  /**
   * Applies one event: an instance change if it is newer than what the cache holds for that instance; the guard's
   * `Registry Protection Engaged` (holds, whatever the shard) / `Released` (re-checks through discovery a cache that
   * holds or counts protection as engaged, never trusted on its own: it may be another shard's).
   *
   * `Registry Resync Required` resyncs when it names this service.
   *
   * @returns true when the instance list changed or a resync was started
   */
  apply(event: RegistryEvent): boolean {
    // Destructured so the detail-type narrows the detail (typed against the contract: a rename there fails here).
    const { 'detail-type': type, detail } = event;
    if (type === 'Registry Protection Engaged') {
      // Maybe another shard's guard: holding is safe either way (it only prevents emptying the service).
      this.engaged = true;
      this.protectionEvents++;
      return false;
    }
    if (type === 'Registry Protection Released') {
      // Maybe another shard's guard: discovery says whether protection still holds for this service.
      if (this.resyncing)
        this.resyncAgain = true; // the answer in flight may predate the release
      else if (this.engaged || this.heldEmpty) void this.resync().catch(() => undefined);
      else return false;
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
      // Removals apply at once, held or not; once they took every instance away there is nothing left to hold.
      if (this.byId.size === 0) this.letGo();
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
      if (page.notModified) {
        // The registry answers what the cache last applied (populated, unprotected): nothing to hold any more.
        if (this.heldEmpty) this.letGo();
        return;
      }
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
        // The answer is the registry's word at the time of the read (engaged exactly when it carries `protection`,
        // provisional or not), unless an `Engaged` event arrived while it was in flight: that one may be newer.
        if (this.protectionEvents === eventsBefore) this.engaged = protection?.engaged === true;
        this.stale = false;
        if (instances.length === 0 && this.byId.size > 0 && this.holdsEmpty()) {
          // Keep the populated list (and the old ETag, so the next re-check asks again) rather than empty the service.
          this.heldEmpty = true;
          return;
        }
        this.letGo();
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
        if (this.resyncAgain) {
          this.resyncAgain = false;
          void this.resync().catch(() => undefined);
        }
      }
    })();
    return this.resyncing;
  }

  /**
   * Whether an empty answer (while the cache holds instances that no removal event took away) is held: always under
   * protection; otherwise until it has persisted for `confirmEmptyMs`, with a re-check scheduled for then.
   */
  private holdsEmpty(): boolean {
    if (this.engaged) {
      // The guard answers for the service: no confirmation runs meanwhile (one starts afresh once it lets go).
      this.cancelConfirmation();
      return true;
    }
    const confirmMs = this.options.confirmEmptyMs ?? 30_000;
    const now = (this.options.now ?? Date.now)();
    this.emptySince ??= now;
    const left = this.emptySince + confirmMs - now;
    if (left <= 0) return false;
    if (!this.stopped)
      this.confirmTimer ??= setTimeout(() => {
        this.confirmTimer = undefined;
        void this.resync().catch(() => undefined);
      }, left);
    this.confirmTimer?.unref?.();
    return true;
  }

  /** Ends holding (under protection or awaiting confirmation). */
  private letGo(): void {
    this.heldEmpty = false;
    this.cancelConfirmation();
  }

  private cancelConfirmation(): void {
    this.emptySince = undefined;
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
  }

  private publish(): void {
    this.list = [...this.byId.values()];
    this.options.onChange?.(this.list);
  }
}
