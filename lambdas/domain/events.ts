/**
 * The change-event contract: detail-types and the `detail` schema (the one source for the publisher, the client
 * SDK and the JSON Schema files in `contracts/events/`), and the classification of a stored change into an event.
 * Subscribers apply an event only if its `revision` is newer than what they hold for that instance: events are
 * published in order per instance, but delivered at least once and possibly out of order (EventBridge → SQS
 * standard keeps no order).
 */
import * as z from 'zod';
import type { Instance, RemovalReason } from './instance.js';
import { toRecord } from './instance.js';
import { instanceRecord } from './schemas.js';

export const EVENT_SCHEMA_VERSION = '1.0';

export const DETAIL_TYPES = [
  'Instance Registered',
  'Instance Updated',
  'Instance Health Changed',
  'Instance Deregistered',
  'Instance Expired',
  'Registry Protection Engaged',
  'Registry Protection Released',
  'Registry Resync Required',
] as const;
export type DetailType = (typeof DETAIL_TYPES)[number];

/** Fields of an instance whose change is an `Instance Updated` (health alone is `Instance Health Changed`). */
export const UPDATE_FIELDS = ['address', 'port', 'protocol', 'zone', 'weight', 'tags', 'metadata', 'status', 'healthCheck', 'leaseSeconds'] as const;
const CHANGEABLE = [...UPDATE_FIELDS, 'health'] as const;

export const changeReason = z.enum([
  'registered',
  'replaced',
  'patched',
  'health-check',
  'deregistered',
  'lease-expired',
  'critical-too-long',
  'ttl',
]);

/** `detail` of every instance event. */
export const instanceEventDetail = z
  .object({
    schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
    /** Stable id of this change (service, instance, revision): duplicates carry the same id. */
    eventId: z.string(),
    service: z.string(),
    instanceId: z.string(),
    /** Revision after the change; a removal's is the last revision + 1. */
    revision: z.number().int(),
    /** The instance after the change; null when it is gone. */
    instance: instanceRecord.nullable(),
    changed: z.array(z.enum(CHANGEABLE)),
    reason: changeReason,
    /** When the change was made (ISO 8601). */
    time: z.iso.datetime(),
  })
  .meta({ id: 'InstanceEventDetail' });

/**
 * `detail` of the mass-failure guard's events. Each prober shard has a guard of its own, judging only its own
 * services: `shard` says which (a service's shard is `shardOf(service, shards)` with the prober's shard count).
 */
export const protectionEventDetail = z
  .object({
    schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
    eventId: z.string(),
    /** The prober shard whose guard changed (absent in events from before shards had a guard each). */
    shard: z.number().int().min(0).optional().meta({ description: "The prober shard whose guard changed: it covers the services with shardOf(service, shards) equal to it." }),
    engaged: z.boolean(),
    probeEngaged: z.boolean(),
    leaseEngaged: z.boolean(),
    failedTargets: z.number().int(),
    probedTargets: z.number().int(),
    expiredLeases: z.number().int(),
    leasedInstances: z.number().int(),
    time: z.iso.datetime(),
  })
  .meta({ id: 'ProtectionEventDetail' });

/**
 * `detail` of `Registry Resync Required`: events of these services could not be published and may be delayed or,
 * once the event source gives up on them, lost. A subscriber holding any of these services reloads them from
 * discovery (events that arrive later are then older than what it holds, and ignored by revision).
 */
export const resyncEventDetail = z
  .object({
    schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
    eventId: z.string(),
    /** Services whose events may be missing; sorted, never empty. */
    services: z.array(z.string()).min(1),
    /** `publish-failed`: the publisher gave up on a batch for now (the event source retries it, then discards it). */
    reason: z.enum(['publish-failed']),
    time: z.iso.datetime(),
  })
  .meta({ id: 'ResyncEventDetail' });

export type InstanceEventDetail = z.output<typeof instanceEventDetail>;
export type ProtectionEventDetail = z.output<typeof protectionEventDetail>;
export type ResyncEventDetail = z.output<typeof resyncEventDetail>;

/** One event to publish. */
export interface ChangeEvent {
  readonly detailType: DetailType;
  readonly detail: InstanceEventDetail | ProtectionEventDetail | ResyncEventDetail;
  /** Events of the same key must stay in order (`service/instanceId` for instance events). */
  readonly orderingKey: string;
}

/** A stored change, as the stream adapter hands it over (images already mapped to domain objects). */
export type StoredChange =
  | {
      readonly kind: 'instance';
      readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
      readonly oldImage?: Instance;
      readonly newImage?: Instance;
      /** Removed by DynamoDB TTL (the stream's `userIdentity.principalId` is `dynamodb.amazonaws.com`). */
      readonly byTtl: boolean;
      readonly atMs: number;
    }
  | {
      readonly kind: 'protection';
      readonly engaged: boolean;
      readonly state: Omit<ProtectionEventDetail, 'schemaVersion' | 'eventId' | 'time'>;
      readonly atMs: number;
    }
  | { readonly kind: 'other' };

const REMOVAL_REASON: Record<RemovalReason, InstanceEventDetail['reason']> = { expired: 'lease-expired', critical: 'critical-too-long' };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields that differ between two images (visible fields only: not lease renewals or bookkeeping). */
export function changedFields(before: Instance, after: Instance): Array<(typeof CHANGEABLE)[number]> {
  return CHANGEABLE.filter((field) => !same(before[field], after[field]));
}

/**
 * The event that tells subscribers of `services` to reload them (see {@link resyncEventDetail}).
 *
 * @example
 * resyncEvent(['orders'], 'seq-42', Date.now()).detailType; // => 'Registry Resync Required'
 */
export function resyncEvent(services: Iterable<string>, firstRecordId: string, atMs: number): ChangeEvent {
  const detail: ResyncEventDetail = {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: `resync:${firstRecordId}:${atMs}`,
    services: [...new Set(services)].sort(),
    reason: 'publish-failed',
    time: new Date(atMs).toISOString(),
  };
  return { detailType: 'Registry Resync Required', detail, orderingKey: 'resync' };
}

/**
 * Classifies one stored change. Returns undefined for changes subscribers need not see: lease renewals
 * (heartbeats: no revision bump), the registry marking an instance for removal (the removal itself is published), bookkeeping items.
 *
 * @example
 * classify({ kind: 'instance', eventName: 'INSERT', newImage, byTtl: false, atMs })?.detailType; // => 'Instance Registered'
 */
export function classify(change: StoredChange): ChangeEvent | undefined {
  if (change.kind === 'other') return undefined;
  const time = new Date(change.atMs).toISOString();
  if (change.kind === 'protection') {
    const shard = change.state.shard ?? 0;
    const detail: ProtectionEventDetail = { schemaVersion: EVENT_SCHEMA_VERSION, eventId: `protection:${shard}:${change.atMs}:${change.engaged}`, ...change.state, engaged: change.engaged, time };
    return { detailType: change.engaged ? 'Registry Protection Engaged' : 'Registry Protection Released', detail, orderingKey: `protection/${shard}` };
  }
  const { oldImage: before, newImage: after } = change;
  const instanceEvent = (detailType: DetailType, subject: Instance, revision: number, instance: Instance | undefined, changed: InstanceEventDetail['changed'], reason: InstanceEventDetail['reason']): ChangeEvent => ({
    detailType,
    orderingKey: `${subject.service}/${subject.instanceId}`,
    detail: {
      schemaVersion: EVENT_SCHEMA_VERSION,
      eventId: `${subject.service}/${subject.instanceId}/${revision}`,
      service: subject.service,
      instanceId: subject.instanceId,
      revision,
      instance: instance ? toRecord(instance) : null,
      changed,
      reason,
      time,
    },
  });

  if (change.eventName === 'INSERT' && after) return instanceEvent('Instance Registered', after, after.revision, after, [], 'registered');
  if (change.eventName === 'REMOVE' && before) {
    const revision = before.revision + 1;
    if (change.byTtl) return instanceEvent('Instance Expired', before, revision, undefined, [], 'ttl');
    if (before.removal === 'expired') return instanceEvent('Instance Expired', before, revision, undefined, [], 'lease-expired');
    return instanceEvent('Instance Deregistered', before, revision, undefined, [], before.removal ? REMOVAL_REASON[before.removal] : 'deregistered');
  }
  if (change.eventName !== 'MODIFY' || !before || !after) return undefined;
  if (after.revision === before.revision) return undefined; // a lease renewal: nothing a subscriber routes by
  if (after.removal !== undefined) return undefined; // marked for removal; the REMOVE that follows is published
  // A registration over an instance whose lease had run out is a new registration: the old one was gone.
  const reRegistered = after.registeredAtMs !== before.registeredAtMs;
  if (reRegistered && before.leaseExpiresAtMs !== undefined && before.leaseExpiresAtMs <= after.registeredAtMs) {
    return instanceEvent('Instance Registered', after, after.revision, after, [], 'registered');
  }
  // Every revision bump is published, even one that changed nothing routable (an identical re-registration, a
  // patch to the same values): otherwise an event-fed cache would hold an older revision than discovery answers.
  const changed = changedFields(before, after);
  const reason = reRegistered ? 'replaced' : after.health !== before.health && changed.length === 1 ? 'health-check' : 'patched';
  const detailType = changed.length === 1 && changed[0] === 'health' ? 'Instance Health Changed' : 'Instance Updated';
  return instanceEvent(detailType, after, after.revision, after, changed, reason);
}
