/**
 * Publishes classified changes in stream order. Events go out in chunks of at most 10 (the PutEvents limit);
 * entries that fail with a retryable error (throttling, internal) are retried with exponential backoff; what still
 * fails stops the batch at the earliest failed record, which is reported as the batch item failure, so the event
 * source retries from there and nothing is skipped. Later records are republished then: duplicates are harmless,
 * because every event carries a stable `eventId` and subscribers apply only newer revisions.
 */
import { classify, type ChangeEvent, type StoredChange } from './events.js';

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
}

export interface PublishResult {
  readonly published: number;
  /** Id (sequence number) of the earliest record not fully published; absent when all were. */
  readonly failedRecordId?: string;
  readonly errors: readonly string[];
}

const CHUNK = 10;

/**
 * @example
 * const result = await publishInOrder([{ id: '100', change }], sink);
 * if (result.failedRecordId) return { batchItemFailures: [{ itemIdentifier: result.failedRecordId }] };
 */
export async function publishInOrder(records: ReadonlyArray<{ id: string; change: StoredChange }>, sink: EventSink, options: PublishOptions = {}): Promise<PublishResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pending: Array<{ id: string; event: ChangeEvent }> = [];
  for (const record of records) {
    const event = classify(record.change);
    if (event) pending.push({ id: record.id, event });
  }
  let published = 0;
  const errors: string[] = [];
  for (let start = 0; start < pending.length; start += CHUNK) {
    const chunk = pending.slice(start, start + CHUNK);
    let todo = chunk.map((_, i) => i);
    const failed = new Set<number>();
    for (let attempt = 1; todo.length > 0; attempt++) {
      let outcomes: PutOutcome[];
      try {
        outcomes = await sink.put(todo.map((i) => chunk[i]!.event));
      } catch (error) {
        outcomes = todo.map(() => ({ ok: false, retryable: true, error: (error as Error).name || String(error) }));
      }
      const retry: number[] = [];
      outcomes.forEach((outcome, k) => {
        const i = todo[k]!;
        if (outcome.ok) published++;
        else if (outcome.retryable && attempt < maxAttempts) retry.push(i);
        else {
          failed.add(i);
          errors.push(outcome.error);
        }
      });
      todo = retry;
      if (todo.length > 0) await sleep(baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
    }
    if (failed.size > 0) return { published, failedRecordId: chunk[Math.min(...failed)]!.id, errors };
  }
  return { published, errors };
}
