/** Power of two choices over outstanding requests. */
import type { InstanceRecord } from '@service-registry/contracts';
import type { Balanceable, Balancer, Random } from './types.js';

/** Options of {@link LeastOutstandingBalancer}. */
export interface LeastOutstandingOptions {
  /** @default Math.random */
  readonly random?: Random;
}

/**
 * Power of two choices: each pick draws two different instances at random and takes the one with fewer requests in
 * flight, then counts the request against it until `release(instance)`. Two random choices avoid both the herd
 * behaviour of "always the least loaded" across many gateways and the O(n) scan it needs. Counts live in an
 * `Int32Array` indexed by slot; `update()` carries them over for instances that stay (matched by `instanceId`).
 * Balances over exactly the instances it is given and ignores weight.
 *
 * @example
 * const p2c = new LeastOutstandingBalancer();
 * p2c.update(instances);
 * const target = p2c.pick();
 * if (target !== undefined) {
 *   try { await call(target); } finally { p2c.release(target); }
 * }
 */
export class LeastOutstandingBalancer<T extends Balanceable = InstanceRecord> implements Balancer<T> {
  private readonly random: Random;
  private instances: readonly T[] = [];
  private outstanding = new Int32Array(0);
  private slots = new Map<string, number>();

  constructor(options: LeastOutstandingOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  pick(): T | undefined {
    const n = this.instances.length;
    if (n === 0) return undefined;
    const outstanding = this.outstanding;
    let slot = 0;
    if (n > 1) {
      const first = (this.random() * n) | 0;
      // Draw the second from the other n - 1 slots, so the two choices always differ.
      let second = (this.random() * (n - 1)) | 0;
      if (second >= first) second++;
      slot = outstanding[second]! < outstanding[first]! ? second : first;
    }
    outstanding[slot] = outstanding[slot]! + 1;
    return this.instances[slot];
  }

  update(instances: readonly T[]): void {
    const kept = instances.slice();
    const outstanding = new Int32Array(kept.length);
    const slots = new Map<string, number>();
    for (let slot = 0; slot < kept.length; slot++) {
      const id = kept[slot]!.instanceId;
      const previous = this.slots.get(id);
      if (previous !== undefined) outstanding[slot] = this.outstanding[previous]!;
      slots.set(id, slot);
    }
    this.instances = kept;
    this.outstanding = outstanding;
    this.slots = slots;
  }

  /** Ends one request to `instance`. Unknown instances (left the set since) and extra releases are ignored. */
  release(instance: T): void {
    const slot = this.slots.get(instance.instanceId);
    if (slot !== undefined && this.outstanding[slot]! > 0) this.outstanding[slot] = this.outstanding[slot]! - 1;
  }

  report(): void {}

  /**
   * Requests in flight to `instance` (0 when it is not in the set), for metrics and tests.
   *
   * @example
   * p2c.outstandingOf(target); // 1 between pick() and release(target)
   */
  outstandingOf(instance: Pick<T, 'instanceId'>): number {
    const slot = this.slots.get(instance.instanceId);
    return slot === undefined ? 0 : this.outstanding[slot]!;
  }
}
