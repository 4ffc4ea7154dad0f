/**
 * Classification of a stored change into a change event. The event contract itself (detail-types and `detail`
 * schemas) lives in `@service-registry/contracts`, shared with the client SDK and the JSON Schema files.
 */
import {
  CHANGEABLE,
  EVENT_SCHEMA_VERSION,
  type DetailType,
  type InstanceEventDetail,
  type ProtectionEventDetail,
  type ResyncEventDetail,
} from '@service-registry/contracts';
import type { Instance, RemovalReason } from './instance.js';
import type { ProtectionState } from './protection.js';
import { toRecord } from './record.js';
import { isPublished, type InstanceWrite, type PublishedWrite } from './writes.js';

/** One event to publish. */
export interface ChangeEvent {
  readonly detailType: DetailType;
  readonly detail: InstanceEventDetail | ProtectionEventDetail | ResyncEventDetail;
  /** Events of the same key must stay in order (`service/instanceId` for instance events). */
  readonly orderingKey: string;
}

/**
 * A stored change, as the stream adapter hands it over (images already mapped to domain objects). An instance
 * change is a creation (only `newImage`), an update (both) or a removal (only `oldImage`).
 */
export type StoredChange =
  | {
      readonly kind: 'instance';
      /** The instance before the change; absent when it was created. */
      readonly oldImage?: Instance;
      /** The instance after the change; absent when it was removed. */
      readonly newImage?: Instance;
      /** The kind of write that made `newImage` (its `lastWrite` stamp); absent on a removal. */
      readonly write?: InstanceWrite;
      /** Removed by DynamoDB TTL (the stream's `userIdentity.principalId` is `dynamodb.amazonaws.com`). */
      readonly byTtl: boolean;
      readonly atMs: number;
    }
  | {
      readonly kind: 'protection';
      /** The prober shard whose guard this is. */
      readonly shard: number;
      /** The state the prober wrote; its `atMs` is the change's time. */
      readonly state: ProtectionState;
    }
  | { readonly kind: 'other' };

const REMOVAL_REASON: Record<RemovalReason, InstanceEventDetail['reason']> = { expired: 'lease-expired', critical: 'critical-too-long' };

/** The reason an update event gives, by the write that made it (the unpublished kinds make no event). */
const WRITE_REASON: Record<PublishedWrite, InstanceEventDetail['reason']> = {
  register: 'replaced',
  patch: 'patched',
  health: 'health-check',
};

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
 * Classifies one stored change by the kind of write that made it (every write stamps it: `lastWrite`). Returns
 * undefined for changes subscribers need not see: lease renewals, the registry marking an instance for removal or a
 * deregistration stamping its caller (the removal that follows is published; `UNPUBLISHED_WRITES` in writes.ts),
 * bookkeeping items.
 *
 * @example
 * classify({ kind: 'instance', newImage, write: 'register', byTtl: false, atMs })?.detailType; // => 'Instance Registered'
 */
export function classify(change: StoredChange): ChangeEvent | undefined {
  if (change.kind === 'other') return undefined;
  if (change.kind === 'protection') {
    const { shard, state } = change;
    const { atMs, leaseSinceMs: _since, leaseCutoffMs: _cutoff, ...fields } = state;
    const detail: ProtectionEventDetail = {
      schemaVersion: EVENT_SCHEMA_VERSION,
      eventId: `protection:${shard}:${atMs}:${state.engaged}`,
      shard,
      ...fields,
      time: new Date(atMs).toISOString(),
    };
    return { detailType: state.engaged ? 'Registry Protection Engaged' : 'Registry Protection Released', detail, orderingKey: `protection/${shard}` };
  }
  const time = new Date(change.atMs).toISOString();
  const { oldImage: before, newImage: after } = change;
  const instanceEvent = (
    detailType: DetailType,
    subject: Instance,
    revision: number,
    instance: Instance | undefined,
    changed: InstanceEventDetail['changed'],
    reason: InstanceEventDetail['reason'],
  ): ChangeEvent => ({
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

  if (!before && after) return instanceEvent('Instance Registered', after, after.revision, after, [], 'registered');
  if (before && !after) {
    const revision = before.revision + 1;
    if (change.byTtl) return instanceEvent('Instance Expired', before, revision, undefined, [], 'ttl');
    if (before.removal === 'expired') return instanceEvent('Instance Expired', before, revision, undefined, [], 'lease-expired');
    return instanceEvent('Instance Deregistered', before, revision, undefined, [], before.removal ? REMOVAL_REASON[before.removal] : 'deregistered');
  }
  // An update no write kind names was not stamped, so the stream filter drops it (as it drops the unpublished ones).
  if (!before || !after || change.write === undefined || !isPublished(change.write)) return undefined;
  // Marked for removal (a patch or health mark landed between the mark and the delete): the removal is published.
  if (after.removal !== undefined) return undefined;
  // A registration over an instance whose lease had run out is a new registration: the old one was gone.
  if (change.write === 'register' && before.leaseExpiresAtMs !== undefined && before.leaseExpiresAtMs <= after.registeredAtMs) {
    return instanceEvent('Instance Registered', after, after.revision, after, [], 'registered');
  }
  // Every published write bumps the revision and is published, even one that changed nothing routable (an identical
  // re-registration, a patch to the same values): otherwise an event-fed cache would hold an older revision than
  // discovery answers.
  const changed = changedFields(before, after);
  const reason = WRITE_REASON[change.write];
  const detailType = changed.length === 1 && changed[0] === 'health' ? 'Instance Health Changed' : 'Instance Updated';
  return instanceEvent(detailType, after, after.revision, after, changed, reason);
}
