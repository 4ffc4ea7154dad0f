/**
 * How the registry's items hold the domain's objects: the attributes of an instance item (one list, checked against
 * the domain's `Instance`: a compact attribute for the fields only a registration sets, attributes of their own for
 * the rest) and the reading of the mass-failure guard's state item. The store, the prober's store and
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
 * The attribute holding the fields a registration sets and no other write changes in place (the
 * {@link COMPACT_FIELDS}), as one JSON array of their values in that list's order. Why one attribute: reading an item
 * costs CPU per attribute (the SDK turns every DynamoDB AttributeValue into an object, nested lists and maps per
 * element), while `JSON.parse` of the same fields costs a fraction of that (issue #16: a 100-item Query of the
 * one-attribute-per-field layout cost ~2.5–4 ms of CPU). Why an array: an item's size counts every attribute name and
 * every JSON key, and what a Query bills is the whole item's size; values by position carry no names.
 */
export const COMPACT_ATTRIBUTE = 'record';

/**
 * Fields stored as attributes of their own, because some write other than a registration changes them in place (a
 * heartbeat the lease, the prober the health, its critical time and the removal mark, every write the revision and
 * the update time) or a condition compares them (`owner`, `leaseExpiresAtMs`, `revision`, `removal`): rewriting them
 * inside the compact attribute would need a read first.
 */
export const OWN_ATTRIBUTE_FIELDS = [
  'owner',
  'revision',
  'health',
  'leaseSeconds',
  'leaseExpiresAtMs',
  'updatedAtMs',
  'criticalSinceMs',
  'removal',
] as const satisfies readonly StoredInstanceField[];

/**
 * The fields kept in {@link COMPACT_ATTRIBUTE}, by position: this order is the stored format, so a new field goes at
 * the end (an item written before it then reads without it). Every instance field is here or in
 * {@link OWN_ATTRIBUTE_FIELDS}: a field added to `Instance` fails to compile here until it is listed in one of them.
 */
export const COMPACT_FIELDS = [
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
  'healthCheck',
  'registeredAtMs',
] as const satisfies readonly Exclude<StoredInstanceField, (typeof OWN_ATTRIBUTE_FIELDS)[number]>[];
const everyFieldStored: [Exclude<StoredInstanceField, (typeof COMPACT_FIELDS)[number] | (typeof OWN_ATTRIBUTE_FIELDS)[number]>] extends [never] ? true : never =
  true;
void everyFieldStored;

/** Every field of a stored instance: the compact ones and those of their own attributes. */
export const INSTANCE_FIELDS = [...COMPACT_FIELDS, ...OWN_ATTRIBUTE_FIELDS] as const;

/**
 * Fields a patch changes: a registration writes them in the compact attribute; a patch writes the ones it changes as
 * attributes of their own (no read, no rewrite of the compact attribute), which {@link toInstance} reads over the
 * compact ones. The next registration removes them again.
 */
export const PATCHED_FIELDS = ['status', 'weight', 'metadata', 'tags'] as const satisfies readonly (typeof COMPACT_FIELDS)[number][];

/**
 * Attributes an instance item holds besides its key and the instance: the kind of its last write and who made it
 * (`lastWrite`, `lastWriter`: change classification, the stream filter and history), the lease in milliseconds (a
 * heartbeat computes the new expiry from it without a read), the TTL, and when a deregistration removed it
 * (`removedAtMs`, stamped just before the delete: the removal event's time, the same for the fast path and the
 * stream publisher).
 */
export const STORAGE_FIELDS = ['lastWrite', 'lastWriter', 'leaseMs', 'ttl', 'removedAtMs'] as const;

/**
 * What a read of instances projects (`ProjectionExpression`): the compact attribute and every instance field that
 * may be an attribute; not the key, nor the {@link STORAGE_FIELDS}, which no reader of instances needs.
 */
export const INSTANCE_PROJECTION: readonly string[] = [COMPACT_ATTRIBUTE, ...INSTANCE_FIELDS];

/**
 * Domain instance (as a registration writes it) → the attributes of its item: the {@link COMPACT_FIELDS} as one
 * JSON array (an absent field is `null`, trailing ones left off), the rest one attribute each. Keys and storage
 * attributes are the store's to add.
 *
 * @example
 * instanceAttributes(draft); // => { record: '["orders","a","10.0.0.1",80,"http",null,100,[],{},"UP",null,1795…]', owner: 'alice', ... }
 */
export function instanceAttributes(instance: Partial<Instance>): Item {
  const item: Item = {};
  for (const name of OWN_ATTRIBUTE_FIELDS) if (instance[name] !== undefined) item[name] = instance[name];
  const values = COMPACT_FIELDS.map((name) => instance[name] ?? null);
  while (values.length > 0 && values[values.length - 1] === null) values.pop();
  item[COMPACT_ATTRIBUTE] = JSON.stringify(values);
  return item;
}

const instanceField = new Set<string>(INSTANCE_FIELDS);
/** Fields read from attributes of their own over the compact attribute's. */
const attributeField = new Set<string>([...OWN_ATTRIBUTE_FIELDS, ...PATCHED_FIELDS]);

/**
 * Item → domain instance: the compact attribute's fields, then the {@link OWN_ATTRIBUTE_FIELDS} and a patch's
 * {@link PATCHED_FIELDS} over them; keys and storage attributes dropped. An item with no compact attribute (every
 * field an attribute of its own, as items were first written) reads every field from its attributes. An item written
 * without tags or metadata reads as empty ones.
 */
export function toInstance(item: Item): Instance {
  const instance: Record<string, unknown> = {};
  const compact = item[COMPACT_ATTRIBUTE];
  let fromAttributes = instanceField;
  if (typeof compact === 'string') {
    const values = JSON.parse(compact) as unknown[];
    for (let i = 0; i < values.length; i++) if (values[i] !== null) instance[COMPACT_FIELDS[i]!] = values[i];
    fromAttributes = attributeField;
  }
  // Over the item's attributes (a handful), not over every field: this runs once per item of every page read.
  for (const name in item) if (fromAttributes.has(name) && item[name] !== undefined) instance[name] = item[name];
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
