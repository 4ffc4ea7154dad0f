/** Smooth weighted round robin, as nginx does it. */
import type { InstanceRecord } from '@service-registry/contracts';
import type { Balanceable, Balancer } from './types.js';

/** Options of {@link SmoothWeightedBalancer}. */
export interface SmoothWeightedOptions {
  /**
   * The longest period (Σ weight ÷ their greatest common divisor) precomputed on `update()` into a schedule, which
   * makes `pick()` O(1). Longer periods, or ones that would take more than 4 M steps to compute, are computed per
   * pick in O(n) instead. 0 always computes per pick.
   * @default 65_536 - at most 256 KiB of schedule
   */
  readonly maxScheduleLength?: number;
}

/** Caps the work `update()` spends on a schedule (period × instances), about 10 ms. */
const MAX_SCHEDULE_WORK = 1 << 22;

/**
 * Smooth weighted round robin (nginx): each pick adds every instance's weight to its running score, picks the
 * highest score (the first on a tie) and subtracts the total weight from it. Over one period of `Σ weight` picks each
 * instance gets exactly its weight, and heavy instances are interleaved rather than picked in a burst: weights
 * 5, 1, 1 give a, a, b, a, c, a, a. Weight 0 (or below) means never picked; with no positive weight `pick()` returns
 * `undefined`. Weights are integers (the registry allows 0-1000); fractions are truncated.
 *
 * The scores return to zero after every period, so the sequence repeats; `update()` precomputes one period when it
 * is short enough (see {@link SmoothWeightedOptions.maxScheduleLength}) and `pick()` then just reads the next slot.
 *
 * @example
 * const wrr = new SmoothWeightedBalancer();
 * wrr.update([{ ...a, weight: 5 }, { ...b, weight: 1 }, { ...c, weight: 1 }]);
 * wrr.pick(); // a, then a, b, a, c, a, a, and again
 */
export class SmoothWeightedBalancer<T extends Balanceable = InstanceRecord> implements Balancer<T> {
  private readonly maxScheduleLength: number;
  private instances: readonly T[] = [];
  private weights = new Int32Array(0);
  private current = new Int32Array(0);
  private total = 0;
  private schedule: Uint32Array | undefined;
  private position = 0;

  constructor(options: SmoothWeightedOptions = {}) {
    this.maxScheduleLength = options.maxScheduleLength ?? 65_536;
  }

  pick(): T | undefined {
    const schedule = this.schedule;
    if (schedule !== undefined) {
      const position = this.position;
      this.position = position + 1 === schedule.length ? 0 : position + 1;
      return this.instances[schedule[position]!];
    }
    if (this.instances.length === 0) return undefined;
    return this.instances[smoothWeightedStep(this.weights, this.current, this.total)];
  }

  update(instances: readonly T[]): void {
    // Weight-0 instances are left out here, so neither the schedule nor the per-pick loop ever visits them.
    const kept = instances.filter((instance) => Math.trunc(instance.weight) > 0);
    const weights = Int32Array.from(kept, (instance) => Math.trunc(instance.weight));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const period = total === 0 ? 0 : total / weights.reduce(gcd, 0);
    this.instances = kept;
    this.weights = weights;
    this.current = new Int32Array(kept.length);
    this.total = total;
    this.position = 0;
    this.schedule =
      period > 0 && period <= this.maxScheduleLength && period * kept.length <= MAX_SCHEDULE_WORK ? buildSchedule(weights, total, period) : undefined;
  }

  release(): void {}

  report(): void {}
}

/** One nginx step over `current` (updated in place); returns the picked slot. `weights` must not be empty. */
function smoothWeightedStep(weights: Int32Array, current: Int32Array, total: number): number {
  let best = 0;
  let bestScore = (current[0] = current[0]! + weights[0]!);
  for (let i = 1; i < weights.length; i++) {
    const score = (current[i] = current[i]! + weights[i]!);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  current[best] = bestScore - total;
  return best;
}

/** The slots of one period, from all-zero scores (where every period starts and ends). */
function buildSchedule(weights: Int32Array, total: number, period: number): Uint32Array {
  const current = new Int32Array(weights.length);
  const schedule = new Uint32Array(period);
  for (let i = 0; i < period; i++) schedule[i] = smoothWeightedStep(weights, current, total);
  return schedule;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const remainder = a % b;
    a = b;
    b = remainder;
  }
  return a;
}
