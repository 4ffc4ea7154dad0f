/**
 * The prober's side of the mass-failure guard (the rules are in protection.ts): judging the lease guard's window
 * each round, and the guard state a round records. Plain functions of what the prober remembers; no AWS imports.
 */
import { isExpired, type Instance } from './instance.js';
import { keyOf, type RecentExpiry } from './prober-handover.js';
import { engages, type ProtectionOptions, type ProtectionState } from './protection.js';

/** The lease guard's judgement in one round. */
export interface LeaseJudgement {
  readonly engaged: boolean;
  /** Expired leases in the window, of `population` leased instances in it. */
  readonly affected: number;
  readonly population: number;
  /** When the guard engaged (while it is engaged). */
  readonly sinceMs?: number;
  /** Expiries at or before this time no longer count towards the guard (see `ProtectionState.leaseCutoffMs`). */
  readonly cutoffMs?: number;
}

/** The populations the guard judged, as recorded with its state. */
export type GuardCounts = Pick<ProtectionState, 'failedTargets' | 'probedTargets' | 'expiredLeases' | 'leasedInstances'>;

/**
 * The lease guard over a window: expired leases still present plus those removed within their own lease period,
 * against every leased instance plus those removed ones. Lets go at the threshold, or after
 * `maxLeaseProtectionSeconds` (then the expiries so far stop counting, so they are removed and it does not
 * engage again for them).
 *
 * Prunes `window` in place: expiries past their lease period, present again, or before the cutoff leave it (and
 * all of them when the guard lets go at its maximum).
 */
export function judgeLeases(
  leased: readonly Instance[],
  window: Map<string, RecentExpiry>,
  recorded: ProtectionState | undefined,
  options: Pick<ProtectionOptions, 'leaseExpiryShare' | 'minPopulation' | 'maxLeaseProtectionSeconds'>,
  nowMs: number,
): LeaseJudgement {
  const { leaseExpiryShare, minPopulation, maxLeaseProtectionSeconds } = options;
  let cutoffMs = recorded?.leaseCutoffMs;
  const counts = (expiredAtMs: number) => cutoffMs === undefined || expiredAtMs > cutoffMs;
  const present = new Set(leased.map(keyOf));
  for (const [key, r] of window) if (r.untilMs <= nowMs || present.has(key) || !counts(r.expiredAtMs)) window.delete(key);
  const expiredNow = leased.filter((i) => (isExpired(i, nowMs) || i.removal === 'expired') && counts(i.leaseExpiresAtMs!)).length;
  const affected = expiredNow + window.size;
  const population = leased.length + window.size;
  if (!engages(affected, population, leaseExpiryShare, minPopulation))
    return { engaged: false, affected, population, ...(cutoffMs !== undefined && { cutoffMs }) };
  const sinceMs = recorded?.leaseEngaged ? (recorded.leaseSinceMs ?? recorded.atMs) : nowMs;
  if (nowMs - sinceMs < maxLeaseProtectionSeconds * 1000) return { engaged: true, affected, population, sinceMs, ...(cutoffMs !== undefined && { cutoffMs }) };
  // Protected long enough: what expired so far is taken as really dead.
  cutoffMs = nowMs;
  window.clear();
  return { engaged: false, affected, population, cutoffMs };
}

/** The state recorded when the lease guard engages mid-round: the probe guard stays as last recorded. */
export function leaseEngagingState(recorded: ProtectionState | undefined, lease: LeaseJudgement, counts: GuardCounts, nowMs: number): ProtectionState {
  return {
    ...counts,
    engaged: true,
    probeEngaged: recorded?.probeEngaged ?? false,
    leaseEngaged: true,
    atMs: nowMs,
    leaseSinceMs: lease.sinceMs ?? nowMs,
    ...(lease.cutoffMs !== undefined && { leaseCutoffMs: lease.cutoffMs }),
  };
}

/**
 * The guard's state at the end of a round, and whether it differs from `recorded` (then it is written, and so
 * published; `atMs` moves only then).
 */
export function guardAfterRound(
  recorded: ProtectionState | undefined,
  probeEngaged: boolean,
  lease: LeaseJudgement,
  counts: GuardCounts,
  nowMs: number,
): { state: ProtectionState; changed: boolean } {
  const engaged = probeEngaged || lease.engaged;
  const changed =
    recorded === undefined
      ? engaged || lease.cutoffMs !== undefined
      : recorded.engaged !== engaged ||
        recorded.probeEngaged !== probeEngaged ||
        recorded.leaseEngaged !== lease.engaged ||
        recorded.leaseCutoffMs !== lease.cutoffMs;
  const state: ProtectionState = {
    engaged,
    probeEngaged,
    leaseEngaged: lease.engaged,
    ...counts,
    atMs: changed || recorded === undefined ? nowMs : recorded.atMs,
    ...(lease.sinceMs !== undefined && { leaseSinceMs: lease.sinceMs }),
    ...(lease.cutoffMs !== undefined && { leaseCutoffMs: lease.cutoffMs }),
  };
  return { state, changed };
}

/** True when the guard's engagement differs from what was recorded when the round started (the round that logs it). */
export function engagementChanged(before: ProtectionState | undefined, after: ProtectionState): boolean {
  return before === undefined
    ? after.engaged
    : before.engaged !== after.engaged || before.probeEngaged !== after.probeEngaged || before.leaseEngaged !== after.leaseEngaged;
}
