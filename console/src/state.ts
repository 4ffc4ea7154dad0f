/**
 * What the service page shows, kept as the SDK's cache keeps it (`packages/client/src/cache.ts`): a snapshot from
 * discovery, then change events applied by `revision` — an event older than or equal to what is held is ignored,
 * and a removal leaves a tombstone so a late, older event cannot bring an instance back. Pure functions, no DOM.
 */
import type { HistoryEntry, HistoryPage, InstanceEventDetail, InstanceRecord, ProtectionStatus } from '@service-registry/contracts';

/** A service's instances as discovery answered (every status and health, all pages), and the guard's state if engaged. */
export interface Snapshot {
  readonly instances: InstanceRecord[];
  readonly protection?: ProtectionStatus;
}

export interface ServiceView {
  readonly service: string;
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  /** Removed instances: the revision of their removal. */
  readonly removed: ReadonlyMap<string, number>;
  /** As the last snapshot said (present only while the guard is engaged for this service). */
  readonly protection?: ProtectionStatus;
  /**
   * Instances changed by events since the snapshot in flight was asked for: the snapshot may predate those
   * changes, so for them the newer of the two wins. Undefined when no snapshot is in flight.
   */
  readonly pending?: ReadonlySet<string>;
  /** False until the first snapshot arrived. */
  readonly loaded: boolean;
}

export function emptyView(service: string): ServiceView {
  return { service, instances: new Map(), removed: new Map(), loaded: false };
}

/** Marks a snapshot as asked for: events from now on are remembered until it arrives. */
export function snapshotRequested(view: ServiceView): ServiceView {
  return { ...view, pending: new Set() };
}

const heldRevision = (view: ServiceView, id: string) => view.instances.get(id)?.revision ?? view.removed.get(id) ?? -1;

/**
 * Applies an instance event when it concerns this service and is newer than what is held.
 * @returns the new view, or the same object when nothing changed
 */
export function applyEvent(view: ServiceView, detail: InstanceEventDetail): ServiceView {
  if (detail.service !== view.service || detail.revision <= heldRevision(view, detail.instanceId)) return view;
  const instances = new Map(view.instances);
  const removed = new Map(view.removed);
  if (detail.instance) {
    instances.set(detail.instanceId, detail.instance);
    removed.delete(detail.instanceId);
  } else {
    instances.delete(detail.instanceId);
    removed.set(detail.instanceId, detail.revision);
  }
  const pending = view.pending && new Set(view.pending).add(detail.instanceId);
  return { ...view, instances, removed, ...(pending && { pending }) };
}

/**
 * Replaces the list with a snapshot, except for instances an event changed while the snapshot was in flight:
 * for those, whichever of the event and the snapshot is newer wins.
 */
export function applySnapshot(view: ServiceView, snapshot: Snapshot): ServiceView {
  const instances = new Map(snapshot.instances.map((i) => [i.instanceId, i] as const));
  // Tombstones stay (a late event older than a removal must not bring the instance back) unless the snapshot has
  // the instance again.
  const removed = new Map([...view.removed].filter(([id]) => !instances.has(id)));
  for (const id of view.pending ?? []) {
    const held = heldRevision(view, id);
    if (held <= (instances.get(id)?.revision ?? -1)) continue;
    const instance = view.instances.get(id);
    if (instance) instances.set(id, instance);
    else {
      instances.delete(id);
      removed.set(id, held);
    }
  }
  const { pending: _, protection: __, ...rest } = view;
  return { ...rest, instances, removed, ...(snapshot.protection && { protection: snapshot.protection }), loaded: true };
}

/** Rows in a stable order: by instance id. */
export function rows(view: ServiceView): InstanceRecord[] {
  return [...view.instances.values()].sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
}

/** A short rolling summary of propagation lags (event time → received here), in ms. */
export function lagSummary(lags: readonly number[]): { count: number; p50: number; max: number } | undefined {
  if (lags.length === 0) return undefined;
  const sorted = [...lags].sort((a, b) => a - b);
  return { count: sorted.length, p50: sorted[Math.ceil(sorted.length / 2) - 1]!, max: sorted[sorted.length - 1]! };
}

/** The history panel's list: entries newest first, and the cursor to the older ones when there are more. */
export interface HistoryList {
  readonly entries: readonly HistoryEntry[];
  readonly cursor?: string;
}

/** An entry's identity (a removal shares no revision with a write of the same instance, but say so anyway). */
export const historyKey = (e: HistoryEntry) => `${e.instanceId}\u0000${e.revision}\u0000${e.detailType}`;

/**
 * Puts the newest page on top of what is shown: older pages already loaded stay, and so does their cursor. When the
 * page has nothing in common with what is shown and more behind it, changes between the two would be missing, so
 * the list starts again from that page (its cursor leads to the rest).
 */
export function withNewest(held: HistoryList | undefined, page: HistoryPage): HistoryList {
  const known = new Set(held?.entries.map(historyKey));
  const fresh = page.entries.filter((e) => !known.has(historyKey(e)));
  if (!held || (fresh.length === page.entries.length && page.cursor)) return { entries: page.entries, ...(page.cursor && { cursor: page.cursor }) };
  return { ...held, entries: [...fresh, ...held.entries] };
}

/** Appends the page the list's cursor led to (without repeating an entry), with that page's cursor. */
export function withOlder(held: HistoryList | undefined, page: HistoryPage): HistoryList {
  const known = new Set(held?.entries.map(historyKey));
  return { entries: [...(held?.entries ?? []), ...page.entries.filter((e) => !known.has(historyKey(e)))], ...(page.cursor && { cursor: page.cursor }) };
}

/** The registry's own principals in the history (`historyEntry` in the contracts), named for an operator. */
const SYSTEM_PRINCIPALS: Readonly<Record<string, string>> = {
  'registry:prober': 'health prober',
  'registry:sweeper': 'lease sweeper',
  'registry:ttl': 'DynamoDB TTL',
};

/** What the registry itself is called in the history panel, or undefined for a caller (shown as it is). */
export function systemPrincipal(principal: string): string | undefined {
  return Object.hasOwn(SYSTEM_PRINCIPALS, principal) ? SYSTEM_PRINCIPALS[principal] : undefined;
}

/**
 * The `eventId`s of the last `capacity` events the event list showed. Each change is published twice (the writing
 * function's fast path and the stream publisher, the same event); the local bus drops the second copy, and this keeps
 * the list (and the lag figures) to one line per change should a copy get through anyway (a bus restart).
 *
 * @example
 * const seen = new SeenEvents();
 * seen.first('orders/a/7'); // => true
 * seen.first('orders/a/7'); // => false
 */
export class SeenEvents {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 1000) {}

  /** True the first time an id is seen (among the last `capacity`), false for a copy. */
  first(eventId: string): boolean {
    if (this.ids.has(eventId)) return false;
    this.ids.add(eventId);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
