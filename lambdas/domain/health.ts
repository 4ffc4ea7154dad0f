/**
 * The health state machine. Consecutive results ("streaks") are counted in the prober's memory, not in the
 * table, so a round in which nothing changes state writes nothing; only a change of `health` is written.
 */
import type { HealthCheck, HealthState } from '@service-registry/contracts';

/** Consecutive results of one instance since its health last changed (or since it was registered). */
export interface Streak {
  fails: number;
  oks: number;
}

/**
 * Counts one probe result and returns the health it leads to: critical after `unhealthyThreshold` consecutive
 * failures, passing after `healthyThreshold` consecutive successes; otherwise the current health.
 *
 * @example
 * const streak = { fails: 2, oks: 0 };
 * nextHealth('passing', streak, false, check); // => 'critical' (third failure, unhealthyThreshold 3)
 */
export function nextHealth(
  current: HealthState,
  streak: Streak,
  ok: boolean,
  check: Pick<HealthCheck, 'healthyThreshold' | 'unhealthyThreshold'>,
): HealthState {
  if (ok) {
    streak.oks += 1;
    streak.fails = 0;
    return current !== 'passing' && streak.oks >= check.healthyThreshold ? 'passing' : current;
  }
  streak.fails += 1;
  streak.oks = 0;
  return current !== 'critical' && streak.fails >= check.unhealthyThreshold ? 'critical' : current;
}

/** True when a streak is heading away from the current health (worth handing to the next prober invocation). */
export function isPending(current: HealthState, streak: Streak): boolean {
  if (current === 'passing') return streak.fails > 0;
  if (current === 'critical') return streak.oks > 0;
  return streak.fails > 0 || streak.oks > 0;
}

/** A probe-driven instance (no lease) critical for longer than `deregisterCriticalAfterSeconds` is removed. */
export function criticalTooLong(
  instance: { health: HealthState; leaseSeconds?: number; criticalSinceMs?: number; healthCheck?: Pick<HealthCheck, 'deregisterCriticalAfterSeconds'> },
  nowMs: number,
): boolean {
  if (!instance.healthCheck || instance.leaseSeconds !== undefined || instance.health !== 'critical') return false;
  if (instance.criticalSinceMs === undefined) return false;
  return nowMs - instance.criticalSinceMs >= instance.healthCheck.deregisterCriticalAfterSeconds * 1000;
}
