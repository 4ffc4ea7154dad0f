/**
 * Self-preservation: the registry must not amplify an outage. When an unusual share of probes fail in one round,
 * or of leases expire in one sweep, the likelier cause is the prober's own network or a regional problem, not that
 * many instances died at once. Then the round marks nothing critical and removes nothing (the cap is zero), logs
 * it, emits a metric and a `Registry Protection Engaged` change event. Reads still hide expired leases (expiry is
 * decided at read time) and `status=healthy_or_else_all` fails open.
 */
export interface ProtectionOptions {
  /** Engage when more than this share of probed targets fail in one round. @default 0.5 */
  readonly probeFailureShare: number;
  /** Engage when more than this share of leased instances expire in one sweep. @default 0.15 */
  readonly leaseExpiryShare: number;
  /** Below this many probed targets (or leased instances) the guard never engages: small fleets fail for real. @default 10 */
  readonly minPopulation: number;
}

export const DEFAULT_PROTECTION: ProtectionOptions = { probeFailureShare: 0.5, leaseExpiryShare: 0.15, minPopulation: 10 };

/**
 * @example
 * engages(6, 10, 0.5, 10); // => true  (60 % > 50 %)
 * engages(5, 10, 0.5, 10); // => false (exactly at the threshold)
 */
export function engages(affected: number, population: number, share: number, minPopulation: number): boolean {
  return population >= minPopulation && affected > share * population;
}

/** What the guard decided in one round; written (and published) only when it changes. */
export interface ProtectionState {
  readonly engaged: boolean;
  readonly probeEngaged: boolean;
  readonly leaseEngaged: boolean;
  readonly failedTargets: number;
  readonly probedTargets: number;
  readonly expiredLeases: number;
  readonly leasedInstances: number;
  readonly atMs: number;
}
