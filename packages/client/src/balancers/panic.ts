/** Panic threshold: when too few instances are healthy, spread load over all of them. */

/** The default panic threshold: below half of the set healthy. */
export const DEFAULT_PANIC_THRESHOLD = 0.5;

/**
 * Whether a set is in panic: fewer than `threshold × total` of its instances are healthy. In panic a balancer
 * sends traffic to every instance rather than only the healthy ones, because piling all load onto the few that
 * are left would take them down too, and health checks that fail en masse are as likely to be wrong as the
 * instances are. The same holds when the registry marks most of a set `leaseExpired` (it lost their heartbeats, see
 * {@link isHealthy}). A threshold of 0 turns panic off; an empty set is never in panic.
 *
 * @example
 * isPanic(4, 10, 0.5); // true: 40 % healthy
 * isPanic(5, 10, 0.5); // false: exactly half is not under half
 */
export function isPanic(healthy: number, total: number, threshold: number = DEFAULT_PANIC_THRESHOLD): boolean {
  // For an empty set this is 0 < 0: never in panic.
  return healthy < threshold * total;
}
