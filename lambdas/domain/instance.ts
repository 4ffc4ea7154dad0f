/**
 * The instance as the registry keeps it, and the rules about it: leases, visibility, health counting.
 * Times are epoch milliseconds inside the domain; the API shows ISO 8601 (see `toRecord` in record.ts).
 */
import type { HealthState, InstanceRecord, RegisterBody } from '@service-registry/contracts';
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';

/** The record's times, which the API shows as ISO 8601 and the domain keeps as epoch milliseconds (`<name>Ms`). */
/** The record's times and the instance's millisecond fields they are shown from (see `record.ts`). */
export const TIMES = { leaseExpiresAt: 'leaseExpiresAtMs', registeredAt: 'registeredAtMs', updatedAt: 'updatedAtMs' } as const;

/**
 * The instance as the registry keeps it: the API's record (`instanceRecord` in `@service-registry/contracts`, the one
 * declaration of its fields) with times in epoch milliseconds, plus what only the registry knows (owner, probe and
 * removal state).
 */
export interface Instance extends Readonly<Omit<InstanceRecord, keyof typeof TIMES | 'tags' | 'metadata' | 'leaseSeconds' | 'leaseExpired'>> {
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Lease length; absent for probe-driven instances, which need no heartbeats. */
  readonly leaseSeconds?: number;
  readonly leaseExpiresAtMs?: number;
  readonly registeredAtMs: number;
  readonly updatedAtMs: number;
  /** Principal that registered it; only it (or an admin) may change it. */
  readonly owner: string;
  /** When the prober last marked it critical (drives `deregisterCriticalAfterSeconds`). */
  readonly criticalSinceMs?: number;
  /** Set by the registry just before it removes the instance itself, so the removal event can say why. */
  readonly removal?: RemovalReason;
  /**
   * Set by reads only, never stored: the lease ran out, but the lease guard is engaged, so the registry serves the
   * instance marked instead of dropping it (see {@link keptByLeaseGuard}).
   */
  readonly leaseExpired?: true;
}

/** Why the registry removed an instance on its own. */
export type RemovalReason = 'expired' | 'critical';

/** Key of one instance. */
export interface InstanceKey {
  readonly service: string;
  readonly instanceId: string;
}

/** Lease used when a registration gives neither `leaseSeconds` nor a `healthCheck` (`DEFAULTS.leaseSeconds`). */
export const DEFAULT_LEASE_SECONDS = DEFAULTS.leaseSeconds;

/**
 * How long after a lease expires DynamoDB TTL may delete the item (`DEFAULTS.ttlGraceSeconds`). TTL is only the
 * garbage collector: expiry is decided at read time from `leaseExpiresAtMs`, and the sweeper removes expired
 * instances promptly.
 */
export const TTL_GRACE_SECONDS = DEFAULTS.ttlGraceSeconds;

/**
 * The first revision of an instance that did not exist: the registration time in microseconds. A deleted and
 * re-registered instance therefore never reuses a revision an earlier incarnation had, so subscribers that
 * order events by revision are never confused by a re-creation.
 */
export function firstRevision(nowMs: number): number {
  return nowMs * 1000 + 1;
}

/** The lease an instance gets: explicit, none for probe-driven ones, or the default. */
export function leaseFor(body: Pick<RegisterBody, 'leaseSeconds' | 'healthCheck'>): number | undefined {
  if (body.leaseSeconds !== undefined) return body.leaseSeconds;
  return body.healthCheck ? undefined : DEFAULT_LEASE_SECONDS;
}

/**
 * Builds what a registration writes. Revision is left to the store, which bumps it atomically.
 *
 * @example
 * const draft = draftInstance({ service: 'orders', instanceId: 'a' }, body, 'alice', Date.now());
 */
export function draftInstance(key: InstanceKey, body: RegisterBody, owner: string, nowMs: number): Omit<Instance, 'revision'> {
  const leaseSeconds = leaseFor(body);
  return {
    ...key,
    address: body.address,
    port: body.port,
    protocol: body.protocol,
    ...(body.zone !== undefined && { zone: body.zone }),
    weight: body.weight,
    tags: body.tags,
    metadata: body.metadata,
    status: body.status,
    // Lease-only instances have no probe: a renewed lease is their check. Probed ones are unknown until probed.
    health: body.healthCheck ? 'unknown' : 'passing',
    ...(body.healthCheck && { healthCheck: body.healthCheck }),
    ...(leaseSeconds !== undefined && { leaseSeconds, leaseExpiresAtMs: nowMs + leaseSeconds * 1000 }),
    registeredAtMs: nowMs,
    updatedAtMs: nowMs,
    owner,
  };
}

/** Epoch seconds at which DynamoDB TTL may delete the item, or undefined for probe-driven instances. */
export function ttlSeconds(instance: Pick<Instance, 'leaseExpiresAtMs'>): number | undefined {
  return instance.leaseExpiresAtMs === undefined ? undefined : Math.ceil(instance.leaseExpiresAtMs / 1000) + TTL_GRACE_SECONDS;
}

/** An instance whose lease has run out is gone, whatever the table still holds. */
export function isExpired(instance: Pick<Instance, 'leaseExpiresAtMs'>, nowMs: number): boolean {
  return instance.leaseExpiresAtMs !== undefined && instance.leaseExpiresAtMs <= nowMs;
}

/**
 * How reads show an instance whose lease ran out while the lease guard is engaged: kept, marked `leaseExpired`,
 * health `unknown` (nothing renewed it, so nothing vouches for it). Writes never see this: to them an expired
 * lease is gone (a heartbeat answers 404, so the agent registers again).
 */
export function keptByLeaseGuard(instance: Instance): Instance {
  return { ...instance, health: 'unknown', leaseExpired: true };
}

/**
 * UP and not critical: healthy for default discovery and for the service counters. The counters also leave out an
 * instance marked for removal (see {@link summaryDelta}); lease expiry itself is decided at read time.
 */
export function countsHealthy(instance: Pick<Instance, 'status' | 'health'>): boolean {
  return instance.status === 'UP' && instance.health !== 'critical';
}

/** Returned by default discovery: live, UP, and health passing or unknown. */
export function isHealthy(instance: Instance, nowMs: number): boolean {
  return !isExpired(instance, nowMs) && countsHealthy(instance);
}

/** The change a write makes to its service's counters. */
export interface SummaryDelta {
  readonly total: number;
  readonly healthy: number;
}

/**
 * Counter change from `before` to `after` (either may be absent: created or removed). An instance marked for
 * removal counts in `total` but not in `healthy`: the first prober round that sees a lease expired marks it
 * (`removal: expired`, also while the lease guard keeps it), so the healthy count leaves it out from then on, and
 * its later deletion, or a registration replacing it, changes `healthy` by nothing more.
 */
export function summaryDelta(before: Instance | undefined, after: Instance | undefined): SummaryDelta {
  const count = (i: Instance | undefined) => (i ? 1 : 0);
  const healthy = (i: Instance | undefined) => (i && i.removal === undefined && countsHealthy(i) ? 1 : 0);
  return { total: count(after) - count(before), healthy: healthy(after) - healthy(before) };
}

/** What a patch may change (the API's `PATCH` body carries the same fields). */
export type InstanceChanges = { readonly [K in 'status' | 'weight' | 'metadata' | 'tags']?: Instance[K] };

/** A write that changes an instance, as {@link nextInstance} applies it. */
export type InstanceUpdate =
  | { readonly kind: 'register'; readonly draft: Omit<Instance, 'revision'> }
  | { readonly kind: 'patch'; readonly changes: InstanceChanges }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'health'; readonly health: HealthState; readonly criticalSinceMs?: number };

/**
 * The instance a write leaves behind: the one statement of what register, patch, heartbeat and a health mark do to
 * an instance. The registry answers with it; the DynamoDB adapters' update expressions must leave the same item
 * (test/lambdas/adapters/dynamodb-store.test.ts writes through them and compares what it reads back with this).
 *
 * - register: the draft, with the revision after `previous` (a replaced or expired one), or the first revision;
 *   nothing of the previous instance survives (probe and removal state start afresh);
 * - patch: the given fields, `updatedAtMs`, revision + 1;
 * - heartbeat: the lease runs again from `nowMs`; nothing else moves (no revision bump: subscribers see nothing);
 * - health: the health, `criticalSinceMs` (absent unless given), `updatedAtMs`, revision + 1.
 *
 * Every write but a registration needs the previous instance: the store refuses one to a missing item.
 *
 * @example
 * const next = nextInstance(current, { kind: 'patch', changes: { weight: 5 } }, Date.now());
 * next.revision; // => current.revision + 1
 */
export function nextInstance(previous: Instance | undefined, update: InstanceUpdate, nowMs: number): Instance {
  if (update.kind === 'register') return { ...update.draft, revision: previous ? previous.revision + 1 : firstRevision(nowMs) };
  if (!previous) throw new Error(`a ${update.kind} needs the instance it changes`);
  switch (update.kind) {
    case 'patch':
      return { ...previous, ...definedOnly(update.changes), updatedAtMs: nowMs, revision: previous.revision + 1 };
    case 'heartbeat':
      return previous.leaseSeconds === undefined ? previous : { ...previous, leaseExpiresAtMs: nowMs + previous.leaseSeconds * 1000 };
    case 'health': {
      const { criticalSinceMs: _, ...rest } = previous;
      return {
        ...rest,
        health: update.health,
        ...(update.criticalSinceMs !== undefined && { criticalSinceMs: update.criticalSinceMs }),
        updatedAtMs: nowMs,
        revision: previous.revision + 1,
      };
    }
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
