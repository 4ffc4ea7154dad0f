/**
 * The change-event contract: detail-types and the `detail` schemas, the one source for the publisher, the client
 * SDK and the JSON Schema files in `contracts/events/`. Subscribers apply an event only if its `revision` is newer than what they hold for that instance: events are
 * delivered at least once and possibly out of order (EventBridge → SQS standard keeps no order). Each change is
 * usually published twice, as the same event (same `eventId`, `revision`, `detail`): by the function that wrote it,
 * right after the write (the fast path), and by the stream publisher (the backstop, in order per instance). So a
 * subscriber sees most changes twice, and may see a newer revision before an older one whose fast publish failed.
 */
import * as z from 'zod';
import { instanceRecord } from './api.js';

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
/** Fields an instance event's `changed` may list. */
export const CHANGEABLE = [...UPDATE_FIELDS, 'health'] as const;

export const changeReason = z.enum(['registered', 'replaced', 'patched', 'health-check', 'deregistered', 'lease-expired', 'critical-too-long', 'ttl']);

/** `detail` of every instance event. */
export const instanceEventDetail = z
  .object({
    schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
    /**
     * Stable id of this change, `service/instanceId/revision`: every copy of it (the fast path's, the stream
     * publisher's, a retry's) carries the same id, so subscribers may drop the ones they have seen.
     */
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
    shard: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: 'The prober shard whose guard changed: it covers the services with shardOf(service, shards) equal to it.' }),
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

/**
 * The EventBridge envelope around every change event's `detail`, as a subscriber receives it (an SQS queue fed by an
 * EventBridge rule; the local runtime's `GET /v1/events` sends the same JSON). Declared once: the JSON Schemas narrow
 * `detail-type` and `detail` per event (`eventSchema`), the local bus builds it, and the client SDK checks its
 * `id`, `detail-type` and `time` before a feed hands an event on. EventBridge, not the publisher, fills it in: the
 * publisher sends only `Source`, `DetailType` and `Detail`.
 *
 * @example
 * const event: EventEnvelope = JSON.parse(sqsMessage.Body);
 * if (event['detail-type'] === 'Instance Registered') instanceEventDetail.parse(event.detail);
 */
export const eventEnvelope = z.object({
  /** Always `"0"` (EventBridge's envelope version). */
  version: z.string(),
  /** EventBridge's id of this delivery (a UUID); not the change's `detail.eventId`. */
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  /** When EventBridge received the event (ISO 8601, whole seconds). */
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  /** The event's own fields: one of the `…EventDetail` schemas, by `detail-type`. */
  detail: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.output<typeof eventEnvelope>;

export type InstanceEventDetail = z.output<typeof instanceEventDetail>;
export type ProtectionEventDetail = z.output<typeof protectionEventDetail>;
export type ResyncEventDetail = z.output<typeof resyncEventDetail>;
