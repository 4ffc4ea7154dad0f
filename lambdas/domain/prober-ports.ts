/**
 * Ports of the prober and sweeper: the storage writes they make (each conditional on the revision they saw, so
 * they cannot clobber a concurrent re-registration), the probe itself, and the lock that keeps two overlapping
 * invocations from probing the same shard twice.
 */
import type { Instance, InstanceKey, RemovalReason, SummaryDelta } from './instance.js';
import type { InstancePage } from './ports.js';
import type { ProtectionState } from './protection.js';
import type { HealthState, ServiceSummary } from '@service-registry/contracts';

export interface ProbeTarget {
  readonly type: 'http' | 'tcp';
  /** `https` probes use TLS; anything else plain HTTP (for `type: http`). */
  readonly tls: boolean;
  readonly address: string;
  readonly port: number;
  readonly path?: string;
  readonly timeoutSeconds: number;
}

export type ProbeOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Probes one target. Never throws: every failure is an outcome with a reason. */
export type Probe = (target: ProbeTarget) => Promise<ProbeOutcome>;

export interface ProberStore {
  /** Every service summary item, including ones whose counters read zero (they are recounted). */
  listAllServices(): Promise<ServiceSummary[]>;
  page(service: string, after: string | undefined, limit: number): Promise<InstancePage>;
  /** Sets health (and when it went critical), bumping revision; false when the revision moved on meanwhile. */
  changeHealth(key: InstanceKey, health: HealthState, criticalSinceMs: number | undefined, seenRevision: number, nowMs: number): Promise<boolean>;
  /** Marks an instance for removal (bumping revision); false when it changed meanwhile (e.g. renewed, re-registered). */
  markForRemoval(key: InstanceKey, reason: RemovalReason, seenRevision: number, nowMs: number): Promise<boolean>;
  /** Deletes an instance marked with `reason`; returns what it deleted, or undefined when it was not so marked. */
  deleteMarked(key: InstanceKey, reason: RemovalReason): Promise<Instance | undefined>;
  adjustSummary(service: string, delta: SummaryDelta): Promise<void>;
  /** Sets a service's counters to a recount, only if they still read `seen`. */
  resetSummary(service: string, actual: Pick<ServiceSummary, 'total' | 'healthy'>, seen: Pick<ServiceSummary, 'total' | 'healthy'>): Promise<boolean>;
  /** Records a change of the mass-failure guard (a change event for subscribers). */
  setProtection(state: ProtectionState): Promise<void>;
  /** The guard's last recorded state, so a new prober process continues it (and releases it) rather than forgetting it. */
  getProtection(): Promise<ProtectionState | undefined>;
}

/** Streaks in flight, handed from one prober invocation to the next through the lock. */
export type Handover = Record<string, [fails: number, oks: number, registeredAtMs: number]>;

export interface ProberLock {
  /**
   * Takes the lock until `untilMs` unless another live owner holds it; returns the previous owner's handover.
   * With `takeOverOwnHolder`, a live lock whose holder identity is this lock's own is taken too: the first
   * invocation of a restarted process knows the previous process with its identity is dead.
   */
  acquire(owner: string, untilMs: number, nowMs: number, takeOverOwnHolder?: boolean): Promise<{ acquired: boolean; handover?: Handover }>;
  /** Frees the lock and leaves `handover` for the next owner. */
  release(owner: string, handover: Handover): Promise<void>;
}
