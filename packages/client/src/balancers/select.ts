/** Which instances the strategy balances over: health, panic and zone, applied in that order. */
import { isHealthy } from './health.js';
import { isPanic } from './panic.js';
import type { Balanceable } from './types.js';
import { preferZone, type ZoneAwareOptions } from './zone.js';

/**
 * How the candidates were chosen: `zone` (healthy instances of the caller's zone), `healthy` (healthy instances of
 * every zone), `panic` (every instance) or `empty` (nothing to pick).
 */
export type SelectionMode = 'zone' | 'healthy' | 'panic' | 'empty';

/** Inputs of {@link selectCandidates}. */
export interface SelectionOptions {
  /** Instances that count as unhealthy whatever their record says (ejected outliers). */
  readonly isEjected?: ((instanceId: string) => boolean) | undefined;
  /** See {@link isPanic}; 0 turns panic off. */
  readonly panicThreshold: number;
  /** Prefer this zone; `undefined` balances over every zone. */
  readonly zone?: ZoneAwareOptions | undefined;
}

/** The result of {@link selectCandidates}. */
export interface Selection<T> {
  readonly mode: SelectionMode;
  readonly candidates: T[];
}

/**
 * Chooses the candidates once per change of the set (never per pick). Healthy means {@link isHealthy} (so not
 * `leaseExpired`) and not ejected. Panic is judged over the whole set first, like Envoy: in panic every instance is a
 * candidate, including ejected, critical, draining and `leaseExpired` ones, and zone preference is off because
 * "healthy in my zone" means little when most of the set is failing. Otherwise the caller's zone is preferred while it
 * has enough healthy instances.
 *
 * @example
 * const { mode, candidates } = selectCandidates(instances, { panicThreshold: 0.5, zone: { name: 'eu-west-1a' } });
 * strategy.update(candidates);
 */
export function selectCandidates<T extends Balanceable>(all: readonly T[], options: SelectionOptions): Selection<T> {
  const isEjected = options.isEjected;
  const healthy = all.filter((instance) => isHealthy(instance) && !(isEjected?.(instance.instanceId) ?? false));
  if (isPanic(healthy.length, all.length, options.panicThreshold)) return { mode: 'panic', candidates: all.slice() };
  if (healthy.length === 0) return { mode: 'empty', candidates: healthy };
  const local = options.zone === undefined ? undefined : preferZone(all, healthy, options.zone);
  return local === undefined ? { mode: 'healthy', candidates: healthy } : { mode: 'zone', candidates: local };
}
