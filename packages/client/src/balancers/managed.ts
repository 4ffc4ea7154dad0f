/** A strategy wrapped with health filtering, panic, zone preference and outlier ejection. */
import type { InstanceRecord } from '@service-registry/contracts';
import { OutlierEjector, type OutlierEjectionOptions } from './outlier.js';
import { DEFAULT_PANIC_THRESHOLD } from './panic.js';
import { selectCandidates, type SelectionMode } from './select.js';
import type { Balanceable, Balancer, Clock } from './types.js';
import type { ZoneAwareOptions } from './zone.js';

/** Options of {@link ManagedBalancer}; every field has a default. */
export interface ManagedBalancerOptions<T extends Balanceable = InstanceRecord> {
  /**
   * The caller's zone (or zone options); traffic stays in it while it has enough healthy instances.
   * @default - no zone preference
   */
  readonly zone?: string | ZoneAwareOptions;
  /**
   * @default 0.5 - below half of the set healthy, balance over every instance; 0 turns panic off (then a set the
   * registry marked all `leaseExpired` during an outage of its own has nothing to pick)
   */
  readonly panicThreshold?: number;
  /** @default {} - eject after 5 consecutive failures for 30 s × ejections (max 300 s), at most half the set; `false` turns it off */
  readonly outlierEjection?: OutlierEjectionOptions | false;
  /** @default Date.now - the clock ejection times are measured on */
  readonly now?: Clock;
  /**
   * Instances that are not part of the set at all (never picked, not counted for panic, zone or ejection share).
   * @default - every instance is eligible
   */
  readonly eligible?: (instance: T) => boolean;
}

/**
 * Wraps a strategy (round robin, random, weighted, least-outstanding) with the rules that decide which instances it
 * balances over: healthy only ({@link isHealthy} and not ejected), every instance in panic, the caller's zone while
 * it has enough healthy instances, and passive outlier ejection from `report()`. The candidates are recomputed on
 * `update()`, on an ejection and when an ejection ends, never per pick: `pick()` costs the strategy's pick plus one
 * comparison, and one clock read only while an instance is ejected.
 *
 * @example
 * const balancer = new ManagedBalancer(new RoundRobinBalancer(), { zone: 'eu-west-1a' });
 * balancer.update(instances);
 * const target = balancer.pick();
 */
export class ManagedBalancer<T extends Balanceable = InstanceRecord> implements Balancer<T> {
  private readonly now: Clock;
  private readonly zone: ZoneAwareOptions | undefined;
  private readonly panicThreshold: number;
  private readonly eligible: ((instance: T) => boolean) | undefined;
  private readonly ejector: OutlierEjector | undefined;
  private readonly isEjected: ((instanceId: string) => boolean) | undefined;
  private instances: readonly T[] = [];
  private returnAt = Number.POSITIVE_INFINITY;
  private selectionMode: SelectionMode = 'empty';

  constructor(
    private readonly strategy: Balancer<T>,
    options: ManagedBalancerOptions<T> = {},
  ) {
    this.now = options.now ?? Date.now;
    this.zone = typeof options.zone === 'string' ? { name: options.zone } : options.zone;
    this.panicThreshold = options.panicThreshold ?? DEFAULT_PANIC_THRESHOLD;
    this.eligible = options.eligible;
    const ejection = options.outlierEjection ?? {};
    if (ejection !== false) {
      const ejector = new OutlierEjector(ejection, this.now);
      this.ejector = ejector;
      this.isEjected = (instanceId) => ejector.isEjected(instanceId);
    }
  }

  /** How the current candidates were chosen: `zone`, `healthy`, `panic` or `empty`. */
  get mode(): SelectionMode {
    return this.selectionMode;
  }

  pick(): T | undefined {
    this.returnIfDue();
    return this.strategy.pick();
  }

  update(instances: readonly T[]): void {
    const eligible = this.eligible;
    this.instances = eligible === undefined ? instances.slice() : instances.filter(eligible);
    if (this.ejector !== undefined) {
      this.ejector.track(this.instances.map((instance) => instance.instanceId));
      this.ejector.returnDue(this.now());
    }
    this.select();
  }

  release(instance: T): void {
    this.strategy.release(instance);
  }

  report(instance: T, ok: boolean): void {
    // Let due instances back first, so a report after the ejection time counts towards the next ejection.
    this.returnIfDue();
    this.strategy.report(instance, ok);
    if (this.ejector?.record(instance.instanceId, ok)) this.select();
  }

  private returnIfDue(): void {
    // returnAt is Infinity while nothing is ejected, so the clock is read only when an ejection may be over.
    if (this.returnAt === Number.POSITIVE_INFINITY) return;
    const now = this.now();
    if (now >= this.returnAt && this.ejector?.returnDue(now)) this.select();
  }

  private select(): void {
    const { mode, candidates } = selectCandidates(this.instances, { isEjected: this.isEjected, panicThreshold: this.panicThreshold, zone: this.zone });
    this.selectionMode = mode;
    this.returnAt = this.ejector?.nextReturnAt ?? Number.POSITIVE_INFINITY;
    this.strategy.update(candidates);
  }
}
