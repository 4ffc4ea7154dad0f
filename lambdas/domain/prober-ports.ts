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
  /**
   * Marks an instance for removal, only if its revision is still `seenRevision`; false when it changed meanwhile
   * (re-registered, patched). The mark does not bump the revision: it publishes nothing (the removal that follows
   * does, as the last revision + 1), so discovery never shows a revision an event-fed cache was never sent.
   */
  markForRemoval(key: InstanceKey, reason: RemovalReason, seenRevision: number): Promise<boolean>;
  /**
   * Deletes an instance marked with `reason`; for `expired`, only if its lease is still expired at `nowMs` (a lease
   * renewed between the mark and the delete stays). Returns what it deleted, or undefined when it was not deleted.
   */
  deleteMarked(key: InstanceKey, reason: RemovalReason, nowMs: number): Promise<Instance | undefined>;
  /**
   * Takes the `expired` mark off a lease renewed after it was marked (by a heartbeat judged on a clock a little
   * behind the prober's), only if it is still so marked and live at `nowMs`. No revision bump, nothing published.
   */
  unmarkRenewed(key: InstanceKey, nowMs: number): Promise<boolean>;
  adjustSummary(service: string, delta: SummaryDelta): Promise<void>;
  /** Sets a service's counters to a recount, only if they still read `seen`. */
  resetSummary(service: string, actual: Pick<ServiceSummary, 'total' | 'healthy'>, seen: Pick<ServiceSummary, 'total' | 'healthy'>): Promise<boolean>;
  /** Records a change of the mass-failure guard of one shard (a change event for subscribers). */
  setProtection(shard: number, state: ProtectionState): Promise<void>;
  /**
   * The guard's last recorded state of one shard, so a prober continues it (and releases it) rather than forgetting
   * it. Read at the start of every invocation: the previous one may have run in another execution environment.
   */
  getProtection(shard: number): Promise<ProtectionState | undefined>;
}

/**
 * What one prober invocation hands the next through its shard's lock item. In AWS consecutive invocations may run
 * in different execution environments (a 75 s function scheduled every minute overlaps the next one), so nothing
 * the guard or the thresholds judge by may live only in one environment's memory. Bounded (see `MAX_HANDOVER` and
 * `HANDOVER_BUDGET_BYTES` in prober-handover.ts) so the lock item stays far below DynamoDB's 400 KB item limit.
 */
export interface Handover {
  /** Streaks in flight (heading towards a change of health), by `service/instanceId`. */
  readonly streaks: Record<string, [fails: number, oks: number, registeredAtMs: number]>;
  /** Leases the prober removed within their lease period (the lease guard's window), by `service/instanceId`. */
  readonly expiries?: Record<string, [expiredAtMs: number, untilMs: number]>;
  /** Latest failed probes (the probe guard's failures), by target hash: 0 (an entry of 1, passed, is read as such; none is written). */
  readonly outcomes?: Record<string, 0 | 1>;
}

/**
 * The spacing of rounds a lock enforces when one invocation runs one round: taken only if the last round taken under
 * it started at or before `notBeforeMs`, and the start of this one (`nowMs`) is recorded, so a duplicated or early
 * round message finds the lock taken.
 */
export interface RoundSpacing {
  readonly notBeforeMs: number;
}

export interface ProberLock {
  /**
   * Takes the lock until `untilMs` unless another live owner holds it; returns the previous owner's handover.
   * With `takeOverOwnHolder`, a live lock whose holder identity is this lock's own is taken too: the first
   * invocation of a restarted process knows the previous process with its identity is dead.
   */
  acquire(
    owner: string,
    untilMs: number,
    nowMs: number,
    takeOverOwnHolder?: boolean,
    round?: RoundSpacing,
  ): Promise<{ acquired: boolean; handover?: Handover }>;
  /** Frees the lock and leaves `handover` for the next owner. */
  release(owner: string, handover: Handover): Promise<void>;
  /**
   * Keeps the lock until `untilMs`, if `owner` still holds it (false otherwise). A round takes the lock only until
   * the next round may start and extends it when it runs longer, so a steady round need not release it.
   */
  extend?(owner: string, untilMs: number): Promise<boolean>;
}

/** What a delayed round message says: the shard whose round it is, and which round of the minute (for the logs). */
export interface RoundMessage {
  readonly shard: number;
  readonly shards: number;
  /** 1 … n-1: the round of the minute this message was sent for (round 0 is the schedule's own). */
  readonly round: number;
}

/**
 * Where the scheduled invocation leaves the minute's later rounds: each message is delivered at least once, no
 * sooner than its delay, and invokes the prober for one round (AWS: an SQS queue with the prober as its event
 * source; locally: local/delay-queue.ts).
 */
export interface RoundQueue {
  /** Sends the messages, each delivered after its delay; returns the requests that took (billed per request). */
  enqueue(messages: ReadonlyArray<{ readonly delayMs: number; readonly message: RoundMessage }>): Promise<{ requests: number }>;
}
