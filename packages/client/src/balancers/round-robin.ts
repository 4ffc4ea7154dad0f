/** Round robin: each instance in turn. */
import type { InstanceRecord } from '@service-registry/contracts';
import type { Balanceable, Balancer, Random } from './types.js';

/** Options of {@link RoundRobinBalancer}. */
export interface RoundRobinOptions {
  /**
   * Chooses where the rotation starts after each `update()`.
   * @default Math.random - gateways that start together do not all hit the first instance at once
   */
  readonly random?: Random;
}

/**
 * Hands out the instances in turn, so over `k × n` picks each of `n` instances gets exactly `k`. Balances over
 * exactly the instances it is given (no health filtering; {@link createBalancer} adds that) and ignores weight.
 *
 * @example
 * const rr = new RoundRobinBalancer();
 * rr.update([a, b, c]);
 * rr.pick(); // then the next one, and so on, wrapping around
 */
export class RoundRobinBalancer<T extends Balanceable = InstanceRecord> implements Balancer<T> {
  private readonly random: Random;
  private instances: readonly T[] = [];
  private next = 0;

  constructor(options: RoundRobinOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  pick(): T | undefined {
    const n = this.instances.length;
    if (n === 0) return undefined;
    const slot = this.next;
    this.next = slot + 1 === n ? 0 : slot + 1;
    return this.instances[slot];
  }

  update(instances: readonly T[]): void {
    this.instances = instances.slice();
    this.next = Math.floor(this.random() * this.instances.length);
  }

  release(): void {}

  report(): void {}
}
