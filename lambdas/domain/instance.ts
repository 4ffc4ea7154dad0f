/**
 * The instance as the registry keeps it, and the rules about it: leases, visibility, health counting.
 * Times are epoch milliseconds inside the domain; the API shows ISO 8601 (see {@link toRecord}).
 */
import type { HealthCheck, HealthState, InstanceRecord, InstanceStatus, RegisterBody } from '@service-registry/contracts';

export interface Instance {
  readonly service: string;
  readonly instanceId: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: InstanceRecord['protocol'];
  readonly zone?: string;
  readonly weight: number;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: InstanceStatus;
  readonly health: HealthState;
  readonly healthCheck?: HealthCheck;
  /** Lease length; absent for probe-driven instances, which need no heartbeats. */
  readonly leaseSeconds?: number;
  readonly leaseExpiresAtMs?: number;
  readonly registeredAtMs: number;
  readonly updatedAtMs: number;
  /** Increases on every change of this instance; orders change events. */
  readonly revision: number;
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

/** Lease used when a registration gives neither `leaseSeconds` nor a `healthCheck`. */
export const DEFAULT_LEASE_SECONDS = 30;

/**
 * How long after a lease expires DynamoDB TTL may delete the item. TTL is only the garbage collector: expiry is
 * decided at read time from `leaseExpiresAtMs`, and the sweeper removes expired instances promptly.
 */
export const TTL_GRACE_SECONDS = 3600;

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

/** The instance as the API shows it. */
export function toRecord(instance: Instance): InstanceRecord {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    service: instance.service,
    instanceId: instance.instanceId,
    address: instance.address,
    port: instance.port,
    protocol: instance.protocol,
    ...(instance.zone !== undefined && { zone: instance.zone }),
    weight: instance.weight,
    tags: [...instance.tags],
    metadata: { ...instance.metadata },
    status: instance.status,
    health: instance.health,
    ...(instance.healthCheck && { healthCheck: instance.healthCheck }),
    ...(instance.leaseSeconds !== undefined && { leaseSeconds: instance.leaseSeconds }),
    ...(instance.leaseExpiresAtMs !== undefined && { leaseExpiresAt: iso(instance.leaseExpiresAtMs) }),
    registeredAt: iso(instance.registeredAtMs),
    updatedAt: iso(instance.updatedAtMs),
    revision: instance.revision,
    ...(instance.leaseExpired && { leaseExpired: true as const }),
  };
}
