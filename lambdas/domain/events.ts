/**
 * Classification of a stored change into a change event. The event contract itself (detail-types and `detail`
 * schemas) lives in `@service-registry/contracts`, shared with the client SDK and the JSON Schema files.
 */
import {
  CHANGEABLE,
  DETAIL_TYPES,
  EVENT_SCHEMA_VERSION,
  UPDATE_FIELDS,
  type DetailType,
  type InstanceEventDetail,
  type ProtectionEventDetail,
  type ResyncEventDetail,
} from '@service-registry/contracts';
import type { Instance, RemovalReason } from './instance.js';
import { toRecord } from './instance.js';

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
