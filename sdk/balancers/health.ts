/** Which instances a balancer sends traffic to when it is not in panic. */
import type { Balanceable } from './types.js';

/**
 * An instance takes traffic when it is UP and its health is not critical. `unknown` counts as healthy, as in
 * the registry's own discovery: a newly registered instance is not starved before its first probe.
 *
 * @example
 * isHealthy({ instanceId: 'a', weight: 1, status: 'UP', health: 'unknown' }); // true
 * isHealthy({ instanceId: 'a', weight: 1, status: 'DRAINING', health: 'passing' }); // false
 */
export function isHealthy(instance: Balanceable): boolean {
  return instance.status === 'UP' && instance.health !== 'critical';
}
