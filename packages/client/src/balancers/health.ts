/** Which instances a balancer sends traffic to when it is not in panic. */
import type { Balanceable } from './types.js';

/**
 * An instance takes traffic when it is UP, its health is not critical and its lease has not run out. `unknown`
 * counts as healthy, as in the registry's own discovery: a newly registered instance is not starved before its first
 * probe. An instance marked `leaseExpired` (kept by the registry while its mass-failure guard is engaged, health
 * `unknown`) does not count as healthy: it may be dead, or the registry may have lost its heartbeats. It still
 * counts towards the set, so when too few unmarked instances are left the set is in panic ({@link isPanic}) and
 * marked ones take traffic again: a real mass death drains away from the dead, while a registry-side outage that
 * marks everything never leaves a service with nothing to route to.
 *
 * @example
 * isHealthy({ instanceId: 'a', weight: 1, status: 'UP', health: 'unknown' }); // true
 * isHealthy({ instanceId: 'a', weight: 1, status: 'DRAINING', health: 'passing' }); // false
 * isHealthy({ instanceId: 'a', weight: 1, status: 'UP', health: 'unknown', leaseExpired: true }); // false
 */
export function isHealthy(instance: Balanceable): boolean {
  return instance.status === 'UP' && instance.health !== 'critical' && instance.leaseExpired !== true;
}
