/**
 * Change history: every instance change event, kept with who made it, readable per service and per instance,
 * newest first. Written from the table's stream by its own consumer (lambdas/handlers/history.ts), never by the
 * write path, so a history failure can neither block nor fail a registry write or event publishing.
 *
 * Who made a change comes from the item itself: every API write stamps its caller (`lastWriter`, with `lastWrite`
 * saying which kind of write it was; lambdas/adapters/dynamodb-store.ts), and the registry's own writes are known by
 * their kind: a health mark (`lastWrite = health`) is the prober's, a removal of an item the sweeper marked
 * (`removal` set, not a deregistration) the sweeper's, and a delete the stream attributes to DynamoDB the TTL's.
 */
import { HISTORY_SINCE_DURATION, type HistoryEntry, type HistoryQuery } from '@service-registry/contracts';
import { mayRead, type Caller } from './caller.js';
import { ForbiddenError, ValidationError } from './errors.js';
import { classify, type StoredChange } from './events.js';
import type { InstanceEventDetail } from '@service-registry/contracts';

/** The prober's health marks. */
export const PROBER_PRINCIPAL = 'registry:prober';
/** The sweeper's removals: expired leases, instances critical for too long. */
export const SWEEPER_PRINCIPAL = 'registry:sweeper';
/** DynamoDB TTL deletions (the stream's `userIdentity.principalId` is `dynamodb.amazonaws.com`). */
export const TTL_PRINCIPAL = 'registry:ttl';
/** A change whose item carries no writer (written before writers were stamped). */
export const UNKNOWN_PRINCIPAL = 'unknown';

/** The writer stamp of one stream image (storage attributes the domain's `Instance` leaves out). */
export interface WriterStamp {
  readonly lastWrite?: string;
  readonly lastWriter?: string;
  readonly owner?: string;
  readonly removal?: string;
  readonly updatedAtMs?: number;
}

/** One stream record as the history needs it. */
export interface HistoryChange {
  /** The record's id in the stream (its sequence number): the batch item failure to report. */
  readonly id: string;
  readonly change: StoredChange;
  readonly oldStamp?: WriterStamp;
  readonly newStamp?: WriterStamp;
  /** The stream record's creation time (whole seconds in AWS), the same on every retry of the record. */
  readonly recordedAtMs: number;
}

/** A history entry with its time as a number (the store keys and expires by it). */
export interface HistoryItem extends HistoryEntry {
  readonly atMs: number;
}

/** One page, newest first. `cursor` is set when more may follow. */
export interface HistoryItemPage {
  readonly items: readonly HistoryItem[];
  readonly cursor?: string;
}

/** Where history is kept (DynamoDB: lambdas/adapters/dynamodb-history-store.ts). */
export interface HistoryStore {
  /** Writes entries; writing one again (a retried batch) overwrites it: the key holds instance and revision. */
  put(items: readonly HistoryItem[]): Promise<void>;
  /** Newest first, at or after `sinceMs`, skipping items whose retention ran out by `nowMs` (TTL deletes late). */
  page(query: { service: string; instanceId?: string; sinceMs?: number; limit: number; cursor?: string; nowMs: number }): Promise<HistoryItemPage>;
}

/**
 * Who made a change.
 *
 * @example
 * principalOf({ kind: 'instance', oldImage, newImage, write: 'health', byTtl: false, atMs: 0 }, undefined, {}); // => 'registry:prober'
 */
export function principalOf(change: StoredChange, oldStamp: WriterStamp | undefined, newStamp: WriterStamp | undefined): string {
  if (change.kind !== 'instance') return UNKNOWN_PRINCIPAL;
  if (change.newImage === undefined) {
    if (change.byTtl) return TTL_PRINCIPAL;
    // A deregistration stamps its caller just before the delete (DynamoDbInstanceStore.remove), even over the
    // sweeper's mark; any other delete of a marked item is the sweeper's.
    if (oldStamp?.lastWrite === 'deregister') return oldStamp.lastWriter ?? UNKNOWN_PRINCIPAL;
    if (oldStamp?.removal !== undefined) return SWEEPER_PRINCIPAL;
    return oldStamp?.lastWriter ?? UNKNOWN_PRINCIPAL;
  }
  if (change.write === 'health') return PROBER_PRINCIPAL;
  return newStamp?.lastWriter ?? newStamp?.owner ?? UNKNOWN_PRINCIPAL;
}

/**
 * The history entry of one stream record, or `undefined` when it publishes no instance event (heartbeats, marks,
 * bookkeeping, the guard's state). Its time is the change event's, except that a removal (which has no new image
 * to carry a time) takes the stream record's creation time, kept after the last write: the entry's key must be
 * the same when a batch is retried, so it never reads the clock.
 *
 * @example
 * historyItemOf({ id: '1', change, newStamp: { lastWriter: 'alice' }, recordedAtMs })?.principal; // => 'alice'
 */
export function historyItemOf(record: HistoryChange): HistoryItem | undefined {
  const { change } = record;
  if (change.kind !== 'instance') return undefined;
  const atMs = change.newImage === undefined ? Math.max(record.recordedAtMs, (record.oldStamp?.updatedAtMs ?? 0) + 1) : change.atMs;
  const event = classify({ ...change, atMs });
  if (!event || !('instanceId' in event.detail)) return undefined;
  const detail = event.detail as InstanceEventDetail;
  return {
    service: detail.service,
    instanceId: detail.instanceId,
    revision: detail.revision,
    detailType: event.detailType,
    changed: [...detail.changed],
    reason: detail.reason,
    principal: principalOf(change, record.oldStamp, record.newStamp),
    time: detail.time,
    atMs,
  };
}

/**
 * Writes the history of a batch of stream records. Returns the id of the earliest record whose entries could not
 * be written (the batch item failure: the event source retries from it; entries written after it are written
 * again, overwriting themselves), or `undefined` when all were.
 *
 * @example
 * const failed = await recordHistory(records, store);
 * return { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: failed }] };
 */
export async function recordHistory(
  records: readonly HistoryChange[],
  store: HistoryStore,
  chunkSize = 12,
): Promise<{ written: number; failedRecordId?: string; error?: unknown }> {
  const pending = records.flatMap((record) => {
    const item = historyItemOf(record);
    return item ? [{ id: record.id, item }] : [];
  });
  let written = 0;
  for (let start = 0; start < pending.length; start += chunkSize) {
    const chunk = pending.slice(start, start + chunkSize);
    try {
      await store.put(chunk.map((p) => p.item));
      written += chunk.length;
    } catch (error) {
      return { written, failedRecordId: chunk[0]!.id, error };
    }
  }
  return { written };
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `since` as epoch milliseconds: an ISO time as is, a duration back from `nowMs`.
 *
 * @example
 * sinceMs('1h', Date.parse('2026-01-01T01:00:00Z')); // => Date.parse('2026-01-01T00:00:00Z')
 */
export function sinceMs(since: string, nowMs: number): number {
  const duration = HISTORY_SINCE_DURATION.exec(since);
  if (duration) return nowMs - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  const ms = Date.parse(since);
  if (!Number.isFinite(ms)) throw new ValidationError([{ field: 'query.since', message: 'must be an ISO 8601 time or a duration like 30m, 1h, 7d' }]);
  return ms;
}

/**
 * Reading the history: readable by whoever may discover the service (the same rule as discovery), newest first.
 *
 * @example
 * const page = await new HistoryReader({ store }).read(caller, 'orders', { limit: 100, since: '1h' });
 */
export class HistoryReader {
  private readonly clock: () => number;

  constructor(private readonly deps: { readonly store: HistoryStore; readonly clock?: () => number }) {
    this.clock = deps.clock ?? Date.now;
  }

  async read(caller: Caller, service: string, query: HistoryQuery): Promise<{ entries: HistoryEntry[]; cursor?: string }> {
    if (!mayRead(caller, service)) throw new ForbiddenError(`principal '${caller.principal}' may not read service '${service}'`);
    const nowMs = this.clock();
    const page = await this.deps.store.page({
      service,
      limit: query.limit,
      nowMs,
      ...(query.instanceId !== undefined && { instanceId: query.instanceId }),
      ...(query.since !== undefined && { sinceMs: sinceMs(query.since, nowMs) }),
      ...(query.cursor !== undefined && { cursor: query.cursor }),
    });
    const entries = page.items.map(({ atMs: _, ...entry }) => entry);
    return { entries, ...(page.cursor !== undefined && { cursor: page.cursor }) };
  }
}
