/**
 * The change events as a subscriber receives them (the EventBridge envelope, which the local SSE feed sends too),
 * validated against the contract: {@link parseRegistryEvent} is what every feed runs on a message before its
 * handlers see it, and what a custom feed (a Lambda SQS trigger, say) should run before `ServiceCache.apply`.
 */
import {
  eventEnvelope,
  instanceEventDetail,
  protectionEventDetail,
  resyncEventDetail,
  type DetailType,
  type EventEnvelope,
  type InstanceEventDetail,
  type ProtectionEventDetail,
  type ResyncEventDetail,
} from '@service-registry/contracts';
import { RegistryResponseError } from './errors.js';
import { validated } from './validate.js';

/** Detail-types of the guard's events. */
export type ProtectionDetailType = 'Registry Protection Engaged' | 'Registry Protection Released';
/** Detail-types whose `detail` is an {@link InstanceEventDetail}. */
export type InstanceDetailType = Exclude<DetailType, ProtectionDetailType | 'Registry Resync Required'>;

/**
 * A change event as delivered: the contract's envelope ({@link EventEnvelope}) with its `id` and `time`, the
 * `detail-type` and the validated `detail`. The envelope's other fields (`source`, `account`, …) travel along
 * unchecked: no subscriber reads them, so a feed is not held to sending them.
 */
export interface RegistryEventOf<T extends DetailType, D> extends Readonly<Pick<EventEnvelope, 'id' | 'time'>> {
  readonly 'detail-type': T;
  readonly detail: D;
}

/** What a feed checks of the envelope before it looks at `detail`: the fields of {@link RegistryEventOf}. */
const deliveredEnvelope = eventEnvelope.pick({ id: true, 'detail-type': true, time: true });

/** One {@link RegistryEventOf} per detail-type of `T`, so that comparing `detail-type` narrows `detail`. */
export type RegistryEventsOf<T extends DetailType, D> = T extends DetailType ? RegistryEventOf<T, D> : never;

/** An instance changed (registered, updated, health changed, deregistered, expired). */
export type InstanceEvent = RegistryEventsOf<InstanceDetailType, InstanceEventDetail>;
/** The registry's mass-failure guard engaged or let go. */
export type ProtectionEvent = RegistryEventsOf<ProtectionDetailType, ProtectionEventDetail>;
/** Events of the named services may be missing: reload them from discovery. */
export type ResyncEvent = RegistryEventOf<'Registry Resync Required', ResyncEventDetail>;
/** Every change event, discriminated by `detail-type`. */
export type RegistryEvent = InstanceEvent | ProtectionEvent | ResyncEvent;

// Keyed by the contract's detail-types: a type added there fails to compile here until it is mapped.
const DETAIL_SCHEMAS: Record<DetailType, typeof instanceEventDetail | typeof protectionEventDetail | typeof resyncEventDetail> = {
  'Instance Registered': instanceEventDetail,
  'Instance Updated': instanceEventDetail,
  'Instance Health Changed': instanceEventDetail,
  'Instance Deregistered': instanceEventDetail,
  'Instance Expired': instanceEventDetail,
  'Registry Protection Engaged': protectionEventDetail,
  'Registry Protection Released': protectionEventDetail,
  'Registry Resync Required': resyncEventDetail,
};

/**
 * One delivered event (the parsed JSON of an SSE `data:` line or an SQS message body), validated: the envelope's
 * `id`, `detail-type` and `time` must be strings and `detail` must match the contract of its detail-type.
 *
 * @returns the event, or `undefined` for a detail-type this SDK does not know (a later registry may add some; adding
 *   one is not a breaking change, so feeds skip them)
 * @throws {@link RegistryResponseError} when the event does not match its contract
 *
 * @example
 * export const handler = async (batch: SQSEvent) => {
 *   for (const record of batch.Records) {
 *     const event = parseRegistryEvent(JSON.parse(record.body));
 *     if (event) cache.apply(event);
 *   }
 * };
 */
export function parseRegistryEvent(value: unknown): RegistryEvent | undefined {
  if (!deliveredEnvelope.safeParse(value).success) {
    throw new RegistryResponseError('event', [{ path: '', message: 'expected an event envelope with string id, detail-type and time' }]);
  }
  // The event as sent, not the parse's output: that would drop the envelope fields not checked here.
  const envelope = value as Pick<EventEnvelope, 'id' | 'detail-type' | 'time'> & { readonly detail?: unknown };
  const type = envelope['detail-type'];
  const schema = Object.hasOwn(DETAIL_SCHEMAS, type) ? DETAIL_SCHEMAS[type as DetailType] : undefined;
  if (!schema) return undefined;
  const detail = validated(schema, envelope.detail, `event ${envelope.id} (${type})`);
  return { ...envelope, detail } as RegistryEvent;
}
