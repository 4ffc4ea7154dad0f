/**
 * The contract every client-side balancer in the SDK meets, and the slice of the registry's instance record that
 * balancing reads. The record type is imported from the registry's schemas (one source of truth), never redefined.
 */
import type { InstanceRecord } from '@service-registry/contracts';

/**
 * The fields of a registry instance that balancing reads. Balancers are generic over any record that has them, so
 * `pick()` hands back the caller's own objects (usually the full {@link InstanceRecord} from discovery).
 * `leaseExpired` is optional: the registry sets it only on instances it keeps while its mass-failure guard is engaged.
 *
 * @example
 * const minimal: Balanceable = { instanceId: 'orders-1', weight: 100, status: 'UP', health: 'passing', zone: 'eu-west-1a' };
 */
export type Balanceable = Pick<InstanceRecord, 'instanceId' | 'zone' | 'weight' | 'status' | 'health' | 'leaseExpired'>;

/** A source of uniform random numbers in [0, 1), like `Math.random`. Injectable so tests can seed it. */
export type Random = () => number;

/** A clock in milliseconds, like `Date.now`. Injectable so tests can use fake time. */
export type Clock = () => number;

/**
 * Picks one instance per request from a set that changes now and then.
 *
 * `pick()` is the hot path: it allocates nothing, does no I/O and copies nothing; everything it needs is
 * precomputed by `update()`. `release()` and `report()` are always safe to call, so calling code does not change
 * when the strategy does; strategies that do not track load or outcomes ignore them.
 *
 * @example
 * const balancer: Balancer = createBalancer({ strategy: 'least-outstanding' });
 * balancer.update(instances);
 * const target = balancer.pick();
 * if (target !== undefined) {
 *   try {
 *     await call(target);
 *     balancer.report(target, true);
 *   } catch (error) {
 *     balancer.report(target, false);
 *     throw error;
 *   } finally {
 *     balancer.release(target);
 *   }
 * }
 */
export interface Balancer<T extends Balanceable = InstanceRecord> {
  /** The instance for the next request, or `undefined` when there is none to pick. */
  pick(): T | undefined;
  /** Replaces the whole set (the array is copied, so the caller may reuse it). */
  update(instances: readonly T[]): void;
  /** Ends a request started by `pick()` (least-outstanding counts it; others ignore it). */
  release(instance: T): void;
  /** Tells the balancer how a request to `instance` went (outlier ejection counts it; others ignore it). */
  report(instance: T, ok: boolean): void;
}
