/**
 * The one definition of which stream records reach the publisher: the CDK event source mapping uses these as its
 * filter criteria, and the local stream stand-in applies the same patterns (local/event-pattern.ts), so in both
 * places heartbeat-only writes never invoke the function.
 *
 * Every write to an instance item sets `lastWrite` (see `LastWrite`); a lease renewal sets it to `heartbeat`, and
 * the sweeper's mark-for-removal to `removal` (its DELETE follows and is published). Any new kind of write must set
 * `lastWrite` too, or a heartbeat's marker would hide it. A deregistration first stamps its caller on the item
 * (`deregister`, dropped here like `removal`; see `DynamoDbInstanceStore.remove`), so the DELETE's old image names who
 * removed it for the change history.
 *
 * The history consumer (lambdas/handlers/history.ts) reads the stream through these same patterns: history keeps
 * exactly what is published, and its own items (`HISTORY#…`, lambdas/table.ts) never pass them.
 */
export type LastWrite = 'register' | 'patch' | 'heartbeat' | 'health' | 'removal' | 'deregister';

const instanceKeys = { Keys: { sk: { S: [{ prefix: 'INST#' }] } } };

export const streamFilterPatterns: ReadonlyArray<Record<string, unknown>> = [
  { eventName: ['INSERT', 'REMOVE'], dynamodb: instanceKeys },
  { eventName: ['MODIFY'], dynamodb: { ...instanceKeys, NewImage: { lastWrite: { S: [{ 'anything-but': ['heartbeat', 'removal', 'deregister'] }] } } } },
  // The guard's state items, one per prober shard (`PROTECTION#<shard>`).
  { dynamodb: { Keys: { pk: { S: ['REGISTRY'] }, sk: { S: [{ prefix: 'PROTECTION#' }] } } } },
];
