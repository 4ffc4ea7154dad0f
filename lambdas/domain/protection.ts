/**
 * Self-preservation: the registry must not amplify an outage. When an unusual share of the probed fleet fails, or
 * of the leased fleet lets its lease run out, the likelier cause is the prober's own network or a registry-side
 * fault (heartbeats not reaching the API), not that many instances died at once.
 *
 * Both guards judge the whole population they protect, never only what one round happened to touch:
 * - **probes**: the latest known outcome of every probed target of the shard (a target not probed this round keeps
 *   its last outcome). Judging only the targets due in a round let a cohort probed in alternate rounds engage the
 *   guard for itself, so its dead were never marked critical.
 * - **leases**: the expired leases still present plus those this prober removed within their own lease period,
 *   against every leased instance plus those removed ones — a window, like Eureka's renewals-per-minute threshold,
 *   so expiries spread over several sweeps add up.
 * While the probe guard is engaged nothing is marked critical and no critical instance is removed; while the lease
 * guard is engaged no expired lease is removed (they are still marked, so counters leave them out, and discovery
 * serves them marked `leaseExpired`). A guard releases as soon as its share is back at or under the threshold; the
 * lease guard also lets go after {@link ProtectionOptions.maxLeaseProtectionSeconds}, so instances that really died
 * do not stay forever.
 */
export interface ProtectionOptions {
  /** Engage when more than this share of the probed targets' latest outcomes are failures. @default 0.5 */
  readonly probeFailureShare: number;
  /** Engage when more than this share of leased instances expired within their last lease period. @default 0.15 */
  readonly leaseExpiryShare: number;
  /** Below this many probed targets (or leased instances) the guard never engages: small fleets fail for real. @default 10 */
  readonly minPopulation: number;
  /**
   * The lease guard lets go after being engaged this long, even if the share is still over the threshold; the
   * leases that had expired by then are removed and no longer count towards engaging it again. @default 900 (15 minutes)
   */
  readonly maxLeaseProtectionSeconds: number;
}

export const DEFAULT_PROTECTION: ProtectionOptions = { probeFailureShare: 0.5, leaseExpiryShare: 0.15, minPopulation: 10, maxLeaseProtectionSeconds: 900 };

/**
 * @example
 * engages(6, 10, 0.5, 10); // => true  (60 % > 50 %)
 * engages(5, 10, 0.5, 10); // => false (exactly at the threshold)
 */
export function engages(affected: number, population: number, share: number, minPopulation: number): boolean {
  return population >= minPopulation && affected > share * population;
}

/**
 * What the guard decided; written (and published) whenever `engaged`, `probeEngaged` or `leaseEngaged` changes.
 * The discovery side reads `leaseEngaged` to serve expired-but-present instances marked `leaseExpired`.
 */
export interface ProtectionState {
  readonly engaged: boolean;
  readonly probeEngaged: boolean;
  readonly leaseEngaged: boolean;
  /** Probed targets whose latest outcome is a failure, of `probedTargets` with a known outcome. */
  readonly failedTargets: number;
  readonly probedTargets: number;
  /** Leases expired within the window (present or recently removed), of `leasedInstances` in the window. */
  readonly expiredLeases: number;
  readonly leasedInstances: number;
  /** When this state last changed. */
  readonly atMs: number;
  /** When the lease guard engaged (present while `leaseEngaged`); drives the maximum protection duration. */
  readonly leaseSinceMs?: number;
  /** Expiries at or before this time no longer count towards the lease guard (set when it let go at its maximum). */
  readonly leaseCutoffMs?: number;
}
