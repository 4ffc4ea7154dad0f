/**
 * The service counters (`total`, `healthy` of each service's `#SUMMARY` item, listed by `GET /v1/services`), derived
 * from the table's stream by the publisher instead of written by each request: a registration, patch or
 * deregistration makes one write (the instance), and the counters follow within one stream poll. No AWS imports.
 *
 * **What is counted here.** Every instance record the publisher receives adds `summaryDelta(oldImage, newImage)`:
 * registrations and replacements, patches, deregistrations, the prober's health marks and sweep deletions, and TTL
 * deletions. The records the stream filter keeps from the publisher (lambdas/stream-filter.ts) change nothing
 * counted — a lease renewal, a deregistration's stamp — except the sweeper's mark for removal (and the un-mark of
 * a lease renewed after it), which takes an instance out of `healthy`: the prober counts those two itself (it is
 * the only one that sees them), and every later record's old image already carries the mark, so nothing is counted
 * twice. The prober's recount (lambdas/domain/prober-recount.ts) repairs what drifts anyway (a lost write, the
 * ordering caveat below).
 *
 * **Idempotent.** The stream delivers each record exactly once, but Lambda hands a batch over at least once: a
 * failed or partially failed batch is retried whole, or from its first failed record (ReportBatchItemFailures).
 * Each service's deltas of a batch are therefore summed and written once, as one conditional update that also
 * stores the sequence number of the last record counted (the service's high-water mark), and is refused when the
 * stored mark is not below the first record counted. A refused write re-sums only the records after the stored
 * mark and tries again, so a replayed record is never counted twice and a new one never dropped.
 *
 * **Why one mark per service is enough.** DynamoDB Streams writes each record exactly once, and "for each item that
 * is modified in a DynamoDB table, the stream records appear in the same sequence as the actual modifications to
 * the item" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). All instances of a
 * service share one partition key, so their records land on one shard, whose records Lambda reads in sequence
 * order, a parent shard before its children
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html). Sequence numbers are decimal strings of 21 to 40
 * digits (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html): more than
 * a DynamoDB Number's 38 digits of precision, so the mark is stored as the sequence number left-padded with zeros
 * to 40 digits, a string whose byte order is the numeric order ({@link streamPosition}). Caveat: should DynamoDB
 * ever split one hot partition key across partitions, a service's records could arrive on two shards at once; the
 * mark could then drop a record of the shard that lags, and the prober's recount repairs the counter within two
 * rounds.
 *
 * Counting does not wait for publishing, nor publishing for counting: the handler runs both over the batch and
 * reports, as the batch item failure, the earliest record either could not finish (the records before it are done
 * by both; retried ones are published again, which subscribers de-duplicate, and skipped by the mark here).
 */
import type { StoredChange } from './events.js';
import { summaryDelta, type SummaryDelta } from './instance.js';
import type { StreamCounterStore } from './ports.js';

export type { StreamCounterStore } from './ports.js';

/** One stream record as the publisher holds it: its sequence number and the change it carries. */
export interface CountedRecord {
  readonly id: string;
  readonly change: StoredChange;
}

export interface CountResult {
  /** Counter writes made (at most one per service, plus one per refused write that had newer records). */
  readonly writes: number;
  /** Sequence number of the earliest record whose service could not be counted; absent when all were. */
  readonly failedRecordId?: string;
  readonly errors: readonly string[];
}

/** Digits of the longest stream sequence number (the API's limit). */
const SEQUENCE_DIGITS = 40;

/**
 * A sequence number as a fixed-width string, so that comparing two as strings (in JavaScript and in a DynamoDB
 * condition, both byte-wise) is comparing them as numbers.
 *
 * @example
 * streamPosition('100') > streamPosition('99'); // => true
 */
export function streamPosition(sequenceNumber: string): string {
  if (!/^\d{1,40}$/.test(sequenceNumber)) throw new Error(`not a stream sequence number: '${sequenceNumber}'`);
  return sequenceNumber.padStart(SEQUENCE_DIGITS, '0');
}

/** The service and counter change of one record, or undefined when it changes no counter. */
export function countedChange(change: StoredChange): { readonly service: string; readonly delta: SummaryDelta } | undefined {
  if (change.kind !== 'instance') return undefined;
  const subject = change.newImage ?? change.oldImage;
  if (!subject) return undefined;
  const delta = summaryDelta(change.oldImage, change.newImage);
  return delta.total === 0 && delta.healthy === 0 ? undefined : { service: subject.service, delta };
}

/**
 * Counts one batch's records into their services' counters: one conditional write per service (see the module's
 * notes). A service whose write fails (throttled, unavailable) is reported by its earliest record, for the batch to
 * be retried from there; the other services are counted regardless.
 *
 * @example
 * const { failedRecordId } = await countFromStream(records, store);
 */
export async function countFromStream(records: readonly CountedRecord[], store: StreamCounterStore): Promise<CountResult> {
  const byService = new Map<string, Array<{ position: string; id: string; delta: SummaryDelta }>>();
  for (const { id, change } of records) {
    const counted = countedChange(change);
    if (!counted) continue;
    const list = byService.get(counted.service) ?? [];
    list.push({ position: streamPosition(id), id, delta: counted.delta });
    byService.set(counted.service, list);
  }
  let writes = 0;
  const errors: string[] = [];
  let failed: { position: string; id: string } | undefined;
  await Promise.all(
    [...byService].map(async ([service, all]) => {
      let todo = all;
      try {
        while (todo.length > 0) {
          const delta = todo.reduce((sum, r) => ({ total: sum.total + r.delta.total, healthy: sum.healthy + r.delta.healthy }), { total: 0, healthy: 0 });
          writes++;
          const outcome = await store.addStreamCounts(service, delta, todo[0]!.position, todo[todo.length - 1]!.position);
          if (outcome.applied) return;
          // Some (or all) of these records were counted before: keep only those after the stored mark.
          todo = todo.filter((r) => r.position > outcome.mark);
        }
      } catch (error) {
        errors.push((error as Error).name || String(error));
        const first = todo[0]!;
        if (!failed || first.position < failed.position) failed = { position: first.position, id: first.id };
      }
    }),
  );
  return { writes, errors, ...(failed && { failedRecordId: failed.id }) };
}
