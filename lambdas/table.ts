/**
 * The one definition of the registry table, read by the CDK stack (`infra/`) and by the local bootstrap
 * (`local/`), so both create the same keys, index, TTL attribute and stream. Plain data: no AWS imports.
 *
 * Layout (single table):
 * - instance: `pk = SVC#<service>`, `sk = INST#<instanceId>`
 * - service summary (counters): `pk = SVC#<service>`, `sk = #SUMMARY`, indexed in `services` under
 *   `gsi1pk = SERVICES`, `gsi1sk = <service>` so listing services never touches instances.
 */
import { DEFAULTS } from '../packages/contracts/src/defaults.js';

export const registryTable = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  streamView: 'NEW_AND_OLD_IMAGES',
  servicesIndex: {
    indexName: 'services',
    partitionKey: 'gsi1pk',
    sortKey: 'gsi1sk',
    nonKeyAttributes: ['service', 'total', 'healthy'],
  },
} as const;

const SERVICE_PREFIX = 'SVC#';
export const INSTANCE_PREFIX = 'INST#';
const SUMMARY_SORT_KEY = '#SUMMARY';
export const SERVICES_PARTITION = 'SERVICES';

/** Key of one instance item. */
export function instanceItemKey(service: string, instanceId: string): { pk: string; sk: string } {
  return { pk: SERVICE_PREFIX + service, sk: INSTANCE_PREFIX + instanceId };
}

/** Key of a service's summary item. */
export function summaryItemKey(service: string): { pk: string; sk: string } {
  return { pk: SERVICE_PREFIX + service, sk: SUMMARY_SORT_KEY };
}

/** Partition key of a service. */
export function servicePartition(service: string): string {
  return SERVICE_PREFIX + service;
}

/** Key of the lock (and streak handover) of one prober shard. */
export function proberLockKey(shard: number): { pk: string; sk: string } {
  return { pk: `PROBER#${shard}`, sk: 'LOCK' };
}

/** Partition and sort-key prefix of the mass-failure guard's state items (the stream filter passes all of them). */
export const PROTECTION_PARTITION = 'REGISTRY';
export const PROTECTION_PREFIX = 'PROTECTION#';

/**
 * Key of the mass-failure guard's state item of one prober shard (its changes are published as `Registry
 * Protection Engaged`/`Released`). One item per shard: each shard's prober judges only its own services, so one
 * shared item would be overwritten by whichever shard wrote last.
 */
export function protectionItemKey(shard: number): { pk: string; sk: string } {
  return { pk: PROTECTION_PARTITION, sk: `${PROTECTION_PREFIX}${shard}` };
}

/** The shard of a guard state item's sort key, or undefined when it is not one. */
export function protectionShardOf(sk: unknown): number | undefined {
  if (typeof sk !== 'string' || !sk.startsWith(PROTECTION_PREFIX)) return undefined;
  const shard = Number(sk.slice(PROTECTION_PREFIX.length));
  return Number.isInteger(shard) && shard >= 0 ? shard : undefined;
}

/**
 * Bearer tokens (`lambdas/domain/tokens.ts`): one partition holds them all, so listing is one Query and the
 * authorizer's lookup one GetItem by id (behind API Gateway's result cache). Only the secret's SHA-256 is stored.
 * Their sort keys never start with `INST#` and their partition is not `REGISTRY`, so the stream filter keeps every
 * token write from the publisher (no change event), and they carry no `gsi1pk`, so `GET /v1/services` never sees them.
 */
export const TOKEN_PARTITION = 'TOKENS';
export const TOKEN_PREFIX = 'TOKEN#';

/** Key of one bearer token's item. */
export function tokenItemKey(tokenId: string): { pk: string; sk: string } {
  return { pk: TOKEN_PARTITION, sk: TOKEN_PREFIX + tokenId };
}

/**
 * Change history (lambdas/domain/history.ts), written from the stream by its own consumer. Each change is two items,
 * so both "newest first per service" and "newest first per instance" are one Query on a key (no filter over other
 * instances' entries, no index): `pk = HISTORY#<service>` and `pk = HISTORY#<service>#<instanceId>`, both with
 * `sk = <ISO time>#<instanceId>#<revision>`. The key holds the revision, so a retried stream batch overwrites its own
 * items instead of adding some. `#` appears in neither a service name nor an instance id (their grammars in
 * `@service-registry/contracts`), so the two partitions never meet. Their sort keys never start with `INST#` and
 * their partition is not `REGISTRY`, so the stream filter keeps history writes from both stream consumers; they
 * carry no `gsi1pk`, so `GET /v1/services` never sees them; and discovery reads only `SVC#` partitions. They expire
 * through the table's TTL attribute (`REGISTRY_HISTORY_RETENTION_DAYS`).
 */
export const HISTORY_PREFIX = 'HISTORY#';

/**
 * Days history items are kept before their TTL (`REGISTRY_HISTORY_RETENTION_DAYS`, the construct's
 * `historyRetention`): the default (from DEFAULTS) and the most accepted (ten years). Here, beside the keys, because the writer
 * and the construct both state it.
 */
export const HISTORY_RETENTION_DAYS = { default: DEFAULTS.historyRetentionDays, max: 3650 } as const;

/** Partition of a service's history, or of one instance's when `instanceId` is given. */
export function historyPartition(service: string, instanceId?: string): string {
  return HISTORY_PREFIX + service + (instanceId === undefined ? '' : `#${instanceId}`);
}
