/** The one-call way to get a balancer: a strategy by name, wrapped by {@link ManagedBalancer}. */
import type { InstanceRecord } from '@service-registry/contracts';
import { LeastOutstandingBalancer } from './least-outstanding.js';
import { ManagedBalancer, type ManagedBalancerOptions } from './managed.js';
import { RandomBalancer } from './random.js';
import { RoundRobinBalancer } from './round-robin.js';
import type { Balanceable, Balancer, Random } from './types.js';
import { SmoothWeightedBalancer } from './weighted.js';

/** The strategies {@link createBalancer} knows by name. */
export const STRATEGIES = ['round-robin', 'random', 'weighted', 'least-outstanding'] as const;

/** One of {@link STRATEGIES}. */
export type StrategyName = (typeof STRATEGIES)[number];

/** Options of {@link createBalancer}: the strategy plus everything {@link ManagedBalancerOptions} takes. */
export interface CreateBalancerOptions<T extends Balanceable = InstanceRecord> extends Omit<ManagedBalancerOptions<T>, 'eligible'> {
  /** @default 'round-robin' */
  readonly strategy?: StrategyName;
  /** @default Math.random - used by random, least-outstanding and the round-robin starting point */
  readonly random?: Random;
}

/**
 * Builds a balancer: the named strategy over the healthy instances (caller's zone first), with panic and passive
 * outlier ejection. With `weighted`, weight-0 instances are left out of the set entirely, so they neither get picked
 * nor count towards panic or zone thresholds; the other strategies ignore weight (set status DRAINING to take an
 * instance out of rotation under every strategy).
 *
 * @example
 * const balancer = createBalancer({ strategy: 'least-outstanding', zone: 'eu-west-1a', outlierEjection: { consecutiveFailures: 3 } });
 * balancer.update((await registry.discover('orders')).instances);
 * const target = balancer.pick();
 */
export function createBalancer<T extends Balanceable = InstanceRecord>(options: CreateBalancerOptions<T> = {}): ManagedBalancer<T> {
  const { strategy = 'round-robin', random, ...managed } = options;
  const randomOption = random === undefined ? {} : { random };
  const inner = strategyByName<T>(strategy, randomOption);
  const eligible = strategy === 'weighted' ? (instance: T) => instance.weight > 0 : undefined;
  return new ManagedBalancer(inner, eligible === undefined ? managed : { ...managed, eligible });
}

function strategyByName<T extends Balanceable>(name: StrategyName, options: { random?: Random }): Balancer<T> {
  switch (name) {
    case 'round-robin':
      return new RoundRobinBalancer<T>(options);
    case 'random':
      return new RandomBalancer<T>(options);
    case 'weighted':
      return new SmoothWeightedBalancer<T>();
    case 'least-outstanding':
      return new LeastOutstandingBalancer<T>(options);
  }
}
