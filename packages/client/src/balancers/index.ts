/**
 * Client-side load balancers for gateways that route to service instances found through the registry.
 *
 * @example
 * import { createBalancer } from '@service-registry/client';
 * const balancer = createBalancer({ strategy: 'weighted', zone: 'eu-west-1a' });
 * balancer.update(instances);
 * const target = balancer.pick();
 */
export type { Balanceable, Balancer, Clock, Random } from './types.js';
export { isHealthy } from './health.js';
export { RoundRobinBalancer, type RoundRobinOptions } from './round-robin.js';
export { RandomBalancer, type RandomOptions } from './random.js';
export { SmoothWeightedBalancer, type SmoothWeightedOptions } from './weighted.js';
export { LeastOutstandingBalancer, type LeastOutstandingOptions } from './least-outstanding.js';
export { OutlierEjector, type OutlierEjectionOptions } from './outlier.js';
export { DEFAULT_PANIC_THRESHOLD, isPanic } from './panic.js';
export { preferZone, type ZoneAwareOptions } from './zone.js';
export { selectCandidates, type Selection, type SelectionMode, type SelectionOptions } from './select.js';
export { ManagedBalancer, type ManagedBalancerOptions } from './managed.js';
export { createBalancer, STRATEGIES, type CreateBalancerOptions, type StrategyName } from './create-balancer.js';
