/**
 * Change events made from discovery, for a registry that has no event feed to offer this client: in AWS the feed is
 * EventBridge → SQS (a queue the construct's `addSubscriber` creates), and `GET /v1/events` is local-only. Every
 * interval the poller lists the services (unless it was given some) and asks discovery for each, sending the ETag
 * it holds (`If-None-Match`: an unchanged service costs a 304 with no body), and turns what differs from the last
 * answer into events of the contract's shapes, in the EventBridge envelope the local SSE feed sends too.
 *
 * What is approximated, because polling sees states, not changes:
 * - several changes of one instance between two polls are one event, carrying the latest revision;
 * - a removal's reason is guessed: `Instance Expired` (`lease-expired`) when the lease it last had has run out,
 *   otherwise `Instance Deregistered` (`critical-too-long` for a critical probe-driven instance, else
 *   `deregistered`); its `time` is when the poll saw it gone;
 * - an update's reason is `patched` when only fields a PATCH can change changed, otherwise `replaced`;
 * - the mass-failure guard's events are not made (discovery carries `protection` but not the guard's counts), and
 *   nothing marks a lease expired between polls;
 * - a service with more than one page of instances is read in full every time (the ETag covers one page).
 */
import { randomUUID } from 'node:crypto';
import { CHANGEABLE, EVENT_SCHEMA_VERSION, type InstanceEventDetail, type InstanceRecord } from '@service-registry/contracts';
import type { RegistryClient } from '../client.js';
import type { InstanceDetailType } from '../events.js';

/** An instance event as the poller makes it: the envelope the local feed sends, with a contract-shaped detail. */
export interface PolledEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': InstanceDetailType;
  readonly source: 'service-registry';
  readonly time: string;
  readonly detail: InstanceEventDetail;
}

export interface DiscoveryPollerOptions {
  readonly client: RegistryClient;
  /** Follow these services. @default - every service the caller may read, listed again on every poll */
  readonly services?: readonly string[];
  /** Time between polls. @default 2000 */
  readonly intervalMs?: number;
  readonly onEvent: (event: PolledEvent) => void;
  /** A failed poll (it is retried at the next interval). */
  readonly onError: (error: Error) => void;
  /** Called after every poll that completed (tests and `--json` watchers may wait on it). */
  readonly onPoll?: () => void;
}

interface Held {
  etag: string;
  /** Set when the last answer had more than one page: its ETag does not cover the rest. */
  paged: boolean;
  readonly instances: Map<string, InstanceRecord>;
}

/** Fields a PATCH may change: an update of only these is `patched`, anything else came from a registration. */
const PATCHABLE: ReadonlySet<string> = new Set(['status', 'weight', 'metadata', 'tags']);

/**
 * Polls discovery and reports differences as events (see the module comment for what is approximated). The first
 * poll of a service sets what is held and reports nothing, except for services that appear after the first poll:
 * their instances are new, so each is reported registered.
 *
 * @example
 * const poller = new DiscoveryPoller({ client, onEvent: (e) => console.log(e['detail-type'], e.detail.instanceId), onError: console.error });
 * poller.start();
 * // …
 * await poller.stop();
 */
export class DiscoveryPoller {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private polls = 0;

  constructor(private readonly options: DiscoveryPollerOptions) {}

  start(): void {
    this.stopped = false;
    const loop = async () => {
      this.running = this.poll().catch((error: unknown) => this.options.onError(error as Error));
      await this.running;
      this.options.onPoll?.();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.options.intervalMs ?? 2000);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: every service, one after another (a few requests every couple of seconds, not a burst). */
  private async poll(): Promise<void> {
    const first = this.polls++ === 0;
    const services = this.options.services ?? (await this.options.client.listServices()).map((s) => s.service);
    for (const service of services) {
      if (this.stopped) return;
      await this.pollService(service, !first);
    }
    if (!this.options.services) {
      // A service no longer listed has no instances left; its removals were reported as they were seen.
      const listed = new Set(services);
      for (const [service, held] of this.held) if (!listed.has(service)) this.diff(service, held, new Map());
    }
  }

  private async pollService(service: string, reportNew: boolean): Promise<void> {
    const held = this.held.get(service);
    const client = this.options.client;
    let current: Map<string, InstanceRecord>;
    let etag: string;
    let paged: boolean;
    const page = await client.discover(service, { status: 'all', limit: 1000 }, held && !held.paged ? held.etag : undefined);
    if (page.notModified) return;
    if (page.cursor) {
      const all = await client.discoverAll(service, { status: 'all' });
      current = new Map(all.instances.map((i) => [i.instanceId, i]));
      etag = all.etag;
      paged = true;
    } else {
      current = new Map(page.instances.map((i) => [i.instanceId, i]));
      etag = page.etag;
      paged = false;
    }
    if (!held) {
      const fresh: Held = { etag, paged, instances: new Map() };
      this.held.set(service, fresh);
      if (!reportNew) {
        for (const [id, instance] of current) fresh.instances.set(id, instance);
        return;
      }
      this.diff(service, fresh, current);
      return;
    }
    held.etag = etag;
    held.paged = paged;
    this.diff(service, held, current);
  }

  /** Reports what differs between `held` and `current`, and holds `current`. */
  private diff(service: string, held: Held, current: ReadonlyMap<string, InstanceRecord>): void {
    const now = new Date();
    for (const [id, before] of held.instances) {
      if (current.has(id)) continue;
      held.instances.delete(id);
      this.emit(removal(service, before, now));
    }
    for (const [id, after] of current) {
      const before = held.instances.get(id);
      held.instances.set(id, after);
      if (before && before.revision === after.revision && before.leaseExpired === after.leaseExpired) continue;
      this.emit(change(service, before, after));
    }
  }

  private emit(event: PolledEvent): void {
    if (!this.stopped) this.options.onEvent(event);
  }
}

function envelope(type: InstanceDetailType, detail: InstanceEventDetail): PolledEvent {
  return { version: '0', id: randomUUID(), 'detail-type': type, source: 'service-registry', time: detail.time.replace(/\.\d{3}Z$/, 'Z'), detail };
}

function removal(service: string, before: InstanceRecord, now: Date): PolledEvent {
  const expired = before.leaseExpired === true || (before.leaseExpiresAt !== undefined && Date.parse(before.leaseExpiresAt) <= now.getTime());
  const probeDriven = before.leaseExpiresAt === undefined && before.healthCheck !== undefined;
  const reason = expired ? 'lease-expired' : probeDriven && before.health === 'critical' ? 'critical-too-long' : 'deregistered';
  const revision = before.revision + 1; // as the registry numbers a removal
  return envelope(expired ? 'Instance Expired' : 'Instance Deregistered', {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: `${service}/${before.instanceId}/${revision}`,
    service,
    instanceId: before.instanceId,
    revision,
    instance: null,
    changed: [],
    reason,
    time: now.toISOString(),
  });
}

function change(service: string, before: InstanceRecord | undefined, after: InstanceRecord): PolledEvent {
  const base = {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: `${service}/${after.instanceId}/${after.revision}`,
    service,
    instanceId: after.instanceId,
    revision: after.revision,
    instance: after,
    time: after.updatedAt,
  } as const;
  // A new incarnation (registered again after its lease ran out, or deleted and registered) starts a new history.
  if (!before || before.registeredAt !== after.registeredAt) return envelope('Instance Registered', { ...base, changed: [], reason: 'registered' });
  const changed = CHANGEABLE.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
  if (changed.length === 1 && changed[0] === 'health') return envelope('Instance Health Changed', { ...base, changed, reason: 'health-check' });
  const reason = changed.length > 0 && changed.every((field) => PATCHABLE.has(field)) ? 'patched' : 'replaced';
  return envelope('Instance Updated', { ...base, changed, reason });
}
