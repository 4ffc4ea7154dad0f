/**
 * How the registry's items hold the domain's objects: the attributes of an instance item (one list, checked against
 * the domain's `Instance`) and the reading of the mass-failure guard's state item. The store, the prober's store and
 * the stream mapping read items through these, so each stored shape is declared once.
 */
import type { Instance } from '../domain/instance.js';
import type { ProtectionState } from '../domain/protection.js';
import type { GuardState } from '../domain/registry.js';

/** An item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/** `leaseExpired` is set by reads only (see `keptByLeaseGuard`), never stored. */
type StoredInstanceField = Exclude<keyof Instance, 'leaseExpired'>;

/**
 * The instance's fields as an instance item stores them: one attribute each, under the same name. A field added to
 * `Instance` fails to compile here until it is listed.
 */
export const INSTANCE_FIELDS = [
  'service',
  'instanceId',
  'address',
  'port',
  'protocol',
  'zone',
  'weight',
  'tags',
  'metadata',
  'status',
  'health',
  'healthCheck',
  'leaseSeconds',
  'leaseExpiresAtMs',
  'registeredAtMs',
  'updatedAtMs',
  'revision',
  'owner',
  'criticalSinceMs',
  'removal',
] as const satisfies readonly StoredInstanceField[];
const everyInstanceField: [Exclude<StoredInstanceField, (typeof INSTANCE_FIELDS)[number]>] extends [never] ? true : never = true;
void everyInstanceField;

/**
 * Attributes an instance item holds besides its key and the instance: the kind of its last write and who made it
 * (`lastWrite`, `lastWriter`: change classification and history), the lease in milliseconds (a heartbeat computes
 * the new expiry from it without a read), the TTL, and when a deregistration removed it (`removedAtMs`, stamped just
 * before the delete: the removal event's time, the same for the fast path and the stream publisher).
 */
export const STORAGE_FIELDS = ['lastWrite', 'lastWriter', 'leaseMs', 'ttl', 'removedAtMs'] as const;

/**
 * Item → domain instance: the instance's fields only (keys and storage attributes dropped); an item written without
 * tags or metadata reads as empty ones.
 */
export function toInstance(item: Item): Instance {
  const instance: Record<string, unknown> = {};
  for (const name of INSTANCE_FIELDS) if (item[name] !== undefined) instance[name] = item[name];
  instance.tags ??= [];
  instance.metadata ??= {};
  return instance as unknown as Instance;
}

/**
 * The guard's state fields reads use (`DynamoDbInstanceStore.readProtection` projects exactly these). A field added
 * to `GuardState` fails to compile here until it is listed.
 */
export const GUARD_FIELDS = [
  'engaged',
  'leaseEngaged',
  'probeEngaged',
  'atMs',
  'leaseSinceMs',
  'leaseCutoffMs',
] as const satisfies readonly (keyof GuardState)[];
const everyGuardField: [Exclude<keyof GuardState, (typeof GUARD_FIELDS)[number]>] extends [never] ? true : never = true;
void everyGuardField;

/**
 * Guard state item → the state the prober wrote (`DynamoDbProberStore.setProtection` writes the state's fields as
 * attributes). A missing flag reads as false, a missing count as 0, a missing `atMs` as `fallbackAtMs`.
 */
export function toProtectionState(item: Item, fallbackAtMs = 0): ProtectionState {
  return {
    engaged: item.engaged === true,
    probeEngaged: item.probeEngaged === true,
    leaseEngaged: item.leaseEngaged === true,
    failedTargets: Number(item.failedTargets ?? 0),
    probedTargets: Number(item.probedTargets ?? 0),
    expiredLeases: Number(item.expiredLeases ?? 0),
    leasedInstances: Number(item.leasedInstances ?? 0),
    atMs: Number(item.atMs ?? fallbackAtMs),
    ...(typeof item.leaseSinceMs === 'number' && { leaseSinceMs: item.leaseSinceMs }),
    ...(typeof item.leaseCutoffMs === 'number' && { leaseCutoffMs: item.leaseCutoffMs }),
  };
}

/** Guard state item → what reads need of it ({@link GUARD_FIELDS}). */
export function toGuardState(item: Item): GuardState {
  const state = toProtectionState(item);
  const guard: Record<string, unknown> = {};
  for (const name of GUARD_FIELDS) if (state[name] !== undefined) guard[name] = state[name];
  return guard as unknown as GuardState;
}
