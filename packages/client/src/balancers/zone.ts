/** Zone awareness: keep traffic in the caller's zone while the zone can take it. */
import type { Balanceable } from './types.js';

/** Where the caller runs and when its zone is considered too weak to keep traffic to itself. */
export interface ZoneAwareOptions {
  /** The caller's zone, compared with the instances' `zone`. */
  readonly name: string;
  /** @default 2 - fewer healthy instances than this in the zone spill traffic over to every zone */
  readonly minHealthy?: number;
  /**
   * The share of the zone's instances that must be healthy to keep traffic in the zone, e.g. 0.5 to spill over when
   * most of the zone is down even though `minHealthy` instances are left.
   * @default 0 - only `minHealthy` applies
   */
  readonly minHealthyShare?: number;
}

/**
 * The healthy instances of the caller's zone, or `undefined` when the zone should spill over to all healthy instances:
 * fewer than `minHealthy` of them are healthy, or fewer than `minHealthyShare` of the zone's instances are.
 * Instances without a zone never count as local.
 *
 * @example
 * const local = preferZone(all, healthy, { name: 'eu-west-1a' });
 * const candidates = local ?? healthy;
 */
export function preferZone<T extends Balanceable>(all: readonly T[], healthy: readonly T[], options: ZoneAwareOptions): T[] | undefined {
  const zoneSize = all.reduce((count, instance) => (instance.zone === options.name ? count + 1 : count), 0);
  const local = healthy.filter((instance) => instance.zone === options.name);
  if (local.length < (options.minHealthy ?? 2)) return undefined;
  if (local.length < (options.minHealthyShare ?? 0) * zoneSize) return undefined;
  return local;
}
