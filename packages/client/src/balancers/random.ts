/** Uniform random choice. */
import type { InstanceRecord } from '@service-registry/contracts';
import type { Balanceable, Balancer, Random } from './types.js';

/** Options of {@link RandomBalancer}. */
export interface RandomOptions {
  /** @default Math.random */
  readonly random?: Random;
}

/**
 * Picks an instance uniformly at random. Needs no coordination between gateways and no per-request state.
 * Balances over exactly the instances it is given and ignores weight.
 *
 * @example
 * const random = new RandomBalancer();
 * random.update(instances);
 * const target = random.pick();
 */
export class RandomBalancer<T extends Balanceable = InstanceRecord> implements Balancer<T> {
  private readonly random: Random;
  private instances: readonly T[] = [];

  constructor(options: RandomOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  pick(): T | undefined {
    const n = this.instances.length;
    if (n === 0) return undefined;
    // `random() < 1`, so the index is at most n - 1.
    return this.instances[(this.random() * n) | 0];
  }

  update(instances: readonly T[]): void {
    this.instances = instances.slice();
  }

  release(): void {}

  report(): void {}
}
