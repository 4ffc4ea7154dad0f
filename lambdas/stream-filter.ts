/**
 * The one definition of which stream records reach the publisher: the CDK event source mapping uses these as its
 * filter criteria, and the local stream stand-in applies the same patterns (local/event-pattern.ts), so in both
 * places heartbeat-only writes never invoke the function.
 *
 * Every write to an instance item sets `lastWrite` (see `InstanceWrite`); the kinds never published
 * (`UNPUBLISHED_WRITES`: a lease renewal, the sweeper's mark-for-removal, whose DELETE follows and is published) are
 * dropped here. Any new kind of write must set `lastWrite` too, or a heartbeat's marker would hide it. A
 * deregistration first stamps its caller on the item (`deregister`, dropped here like `removal`; see
 * `DynamoDbInstanceStore.remove`), so the DELETE's old image names who removed it for the change history.
 *
 * The history consumer (lambdas/handlers/history.ts) reads the stream through these same patterns: history keeps
 * exactly what is published, and its own items (`HISTORY#…`, lambdas/table.ts) never pass them.
 */
import { UNPUBLISHED_WRITES, type InstanceWrite } from './domain/writes.js';
import { INSTANCE_PREFIX, PROTECTION_PARTITION, PROTECTION_PREFIX, registryTable } from './table.js';

/** The kinds of write an instance item records in `lastWrite` (declared in the domain: lambdas/domain/writes.ts). */
export type LastWrite = InstanceWrite;

const { partitionKey, sortKey } = registryTable;
const instanceKeys = { Keys: { [sortKey]: { S: [{ prefix: INSTANCE_PREFIX }] } } };

export const streamFilterPatterns: ReadonlyArray<Record<string, unknown>> = [
  { eventName: ['INSERT', 'REMOVE'], dynamodb: instanceKeys },
  { eventName: ['MODIFY'], dynamodb: { ...instanceKeys, NewImage: { lastWrite: { S: [{ 'anything-but': [...UNPUBLISHED_WRITES] }] } } } },
  // The guard's state items, one per prober shard (`PROTECTION#<shard>`).
  { dynamodb: { Keys: { [partitionKey]: { S: [PROTECTION_PARTITION] }, [sortKey]: { S: [{ prefix: PROTECTION_PREFIX }] } } } },
];
