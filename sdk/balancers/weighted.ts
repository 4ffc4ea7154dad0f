/** Smooth weighted round robin, as nginx does it. */
import type { InstanceRecord } from '../../lambdas/domain/schemas.js';
import type { Balanceable, Balancer } from './types.js';

/**
 * Smooth weighted round robin (nginx): each pick adds every instance's weight to its running score, picks the
 * highest score (the first on a tie) and subtracts the total weight from it. Over one period of `Σ weight` picks each
 * instance gets exactly its weight, and heavy instances are interleaved rather than picked in a burst: weights
 * 5, 1, 1 give a, a, b, a, c, a, a. Weight 0 (or below) means never picked; with no positive weight `pick()` returns
 * `undefined`. Weights are integers (the registry allows 0-1000); fractions are truncated.
 *
 * @example
 * const wrr = new SmoothWeightedBalancer();
 * wrr.update([{ ...a, weight: 5 }, { ...b, weight: 1 }, { ...c, weight: 1 }]);
 * wrr.pick(); // a, then a, b, a, c, a, a, and again
 */
export class SmoothWeightedBalancer<T extends Balanceable = InstanceRecord> implements Balancer<T> {
  private instances: readonly T[] = [];
  private weights = new Int32Array(0);
  private current = new Int32Array(0);
  private total = 0;

  pick(): T | undefined {
    const n = this.instances.length;
    if (n === 0) return undefined;
    const weights = this.weights;
    const current = this.current;
    let best = 0;
    let bestScore = (current[0] = current[0]! + weights[0]!);
    for (let i = 1; i < n; i++) {
      const score = (current[i] = current[i]! + weights[i]!);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    current[best] = bestScore - this.total;
    return this.instances[best];
  }

  update(instances: readonly T[]): void {
    // Weight-0 instances are left out here, so the hot loop never visits them.
    const kept = instances.filter((instance) => Math.trunc(instance.weight) > 0);
    this.instances = kept;
    this.weights = Int32Array.from(kept, (instance) => Math.trunc(instance.weight));
    this.current = new Int32Array(kept.length);
    this.total = this.weights.reduce((sum, weight) => sum + weight, 0);
  }

  release(): void {}

  report(): void {}
}
