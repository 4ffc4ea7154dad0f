/**
 * Publishes classified changes in stream order, so that no newer revision of an instance ever leaves before an
 * older one:
 * - a PutEvents call carries at most 10 entries (its limit) and **never two events of the same instance** (the same
 *   `orderingKey`), because entries of one call succeed or fail independently: with two of one instance, the newer
 *   could succeed while the older is retried;
 * - entries that fail with a retryable error (throttling, internal) are retried with exponential backoff; the other
 *   entries of the call belong to other instances, so their success reorders nothing;
 * - what still fails stops the batch: nothing after the earliest failed record is sent, and that record is reported
 *   as the batch item failure, so the event source retries from it. Entries after it in the same call that did go
 *   out are sent again then — duplicates with the same `eventId` and revision, never an older revision after a
 *   newer one;
 * - when it stops, it announces `Registry Resync Required` naming the services whose events are now held back: the
 *   event source may give up on them (bounded retries, maximum record age), and subscribers must not miss that
 *   silently.
 *
 * This keeps order when events are *published*. Delivery is another matter: EventBridge → SQS standard delivers at
 * least once and in no particular order, so subscribers apply an event only when its revision is newer than what
 * they hold (the SDK's cache does).
 */
import { classify, resyncEvent, type ChangeEvent, type StoredChange } from './events.js';
import type { InstanceEventDetail } from '@service-registry/contracts';
import type { Telemetry } from './telemetry.js';

export type PutOutcome = { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly error: string };

/** Where events go (EventBridge in AWS and locally). One outcome per event, in order. */
export interface EventSink {
  put(events: readonly ChangeEvent[]): Promise<PutOutcome[]>;
}

export interface PublishOptions {
  /** Attempts per entry, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** First backoff; doubles each retry, with jitter. @default 50 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Clock for the resync event's time. @default Date.now */
  readonly now?: () => number;
}

export interface PublishResult {
  readonly published: number;
  /** Id (sequence number) of the earliest record not fully published; absent when all were. */
  readonly failedRecordId?: string;
  /** Every entry error seen, retried ones included (the `PublishFailures` metric counts them). */
  readonly errors: readonly string[];
  /** Services named by the `Registry Resync Required` event sent because the batch stopped (absent when it did not). */
  readonly resync?: { readonly services: readonly string[]; readonly published: boolean };
  /**
   * When each published instance write happened (its `updatedAtMs`), for the propagation-lag metric. Removals are
   * left out: a delete carries no write time, only the stream's approximate one (see stream-record.ts).
   */
  readonly changedAtMs: readonly number[];
}

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

/**
 * @example
 * const result = await publishInOrder([{ id: '100', change }], sink);
 * if (result.failedRecordId) return { batchItemFailures: [{ itemIdentifier: result.failedRecordId }] };
 */
export async function publishInOrder(
  records: ReadonlyArray<{ id: string; change: StoredChange }>,
  sink: EventSink,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pending: Array<{ id: string; event: ChangeEvent; changedAtMs?: number }> = [];
  for (const { id, change } of records) {
    const event = classify(change);
    const written = change.kind === 'instance' && change.newImage !== undefined;
    if (event) pending.push({ id, event, ...(written && { changedAtMs: change.atMs }) });
  }
  let published = 0;
  const errors: string[] = [];
  const changedAtMs: number[] = [];

  /** Sends events with retries; returns which went out and the index of the earliest that finally failed (-1: none). */
  const send = async (events: readonly ChangeEvent[]): Promise<{ sent: number[]; failedAt: number }> => {
    let todo = events.map((_, i) => i);
    const sent: number[] = [];
    let earliestFailed = Infinity;
    for (let attempt = 1; todo.length > 0; attempt++) {
      let outcomes: PutOutcome[];
      try {
        outcomes = await sink.put(todo.map((i) => events[i]!));
      } catch (error) {
        outcomes = todo.map(() => ({ ok: false, retryable: true, error: (error as Error).name || String(error) }));
      }
      const retry: number[] = [];
      outcomes.forEach((outcome, k) => {
        const i = todo[k]!;
        if (outcome.ok) return void sent.push(i);
        errors.push(outcome.error);
        if (outcome.retryable && attempt < maxAttempts) retry.push(i);
        else earliestFailed = Math.min(earliestFailed, i);
      });
      // Entries after a final failure will be sent again from the failed record on: no point retrying them now.
      todo = retry.filter((i) => i < earliestFailed);
      if (todo.length > 0) await sleep(baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
    }
    return { sent, failedAt: earliestFailed === Infinity ? -1 : earliestFailed };
  };

  let start = 0;
  while (start < pending.length) {
    const keys = new Set<string>();
    let end = start;
    while (end < pending.length && end - start < MAX_ENTRIES && !keys.has(pending[end]!.event.orderingKey)) keys.add(pending[end++]!.event.orderingKey);
    const chunk = pending.slice(start, end);
    const { sent, failedAt } = await send(chunk.map((p) => p.event));
    published += sent.length;
    for (const i of sent) if (chunk[i]!.changedAtMs !== undefined) changedAtMs.push(chunk[i]!.changedAtMs!);
    if (failedAt >= 0) {
      const failedRecordId = chunk[failedAt]!.id;
      const held = pending.slice(start + failedAt).map((p) => p.event.detail);
      const services = held.flatMap((d) => ('service' in d && typeof d.service === 'string' ? [(d as InstanceEventDetail).service] : []));
      if (services.length === 0) return { published, failedRecordId, errors, changedAtMs };
      const resync = resyncEvent(services, failedRecordId, (options.now ?? Date.now)());
      const resyncPublished = (await send([resync])).failedAt < 0; // not counted in `published`: change events only
      return {
        published,
        failedRecordId,
        errors,
        changedAtMs,
        resync: { services: (resync.detail as { services: string[] }).services, published: resyncPublished },
      };
    }
    start = end;
  }
  return { published, errors, changedAtMs };
}

/**
 * Reports one batch: events published, entry errors, the resync event, and the propagation lag (write → published)
 * of each published instance write. Flushed here, once per invocation, so nothing waits for a later one.
 *
 * @example
 * reportPublished(telemetry, await publishInOrder(records, sink), Date.now());
 */
export function reportPublished(telemetry: Telemetry, result: PublishResult, nowMs: number): void {
  telemetry.count('EventsPublished', {}, result.published);
  // The alarm on failed publishing watches this metric: failures are returned as batch item failures, not thrown,
  // so the function's Errors metric never sees them.
  telemetry.count('PublishFailures', {}, result.errors.length);
  if (result.resync) telemetry.count('ResyncEventsPublished', {}, result.resync.published ? 1 : 0);
  for (const at of result.changedAtMs) telemetry.observe('PropagationLag', Math.max(0, nowMs - at), { stage: 'published' });
  telemetry.flush();
}
