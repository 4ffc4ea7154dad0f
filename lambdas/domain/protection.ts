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
import type { ProtectionEventDetail } from '@service-registry/contracts';
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';

/** The guards' thresholds (`REGISTRY_PROTECTION_*`); defaults in `DEFAULTS.protection`. */
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

/** {@link ProtectionOptions} as `DEFAULTS.protection` states them. */
export const DEFAULT_PROTECTION: ProtectionOptions = DEFAULTS.protection;

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
 *
 * The flags and counts are the `Registry Protection Engaged`/`Released` event's (declared once, in
 * `@service-registry/contracts`): `failedTargets` of `probedTargets` are the probed targets whose latest outcome is
 * a failure, of those with a known outcome; `expiredLeases` of `leasedInstances` the leases expired within the
 * window (present or recently removed), of the leased instances in the window.
 */
export interface ProtectionState extends Readonly<Pick<ProtectionEventDetail, ProtectionStateField>> {
  /** When this state last changed. */
  readonly atMs: number;
  /** When the lease guard engaged (present while `leaseEngaged`); drives the maximum protection duration. */
  readonly leaseSinceMs?: number;
  /** Expiries at or before this time no longer count towards the lease guard (set when it let go at its maximum). */
  readonly leaseCutoffMs?: number;
}

/** The fields a guard's state shares with its change event. */
type ProtectionStateField = 'engaged' | 'probeEngaged' | 'leaseEngaged' | 'failedTargets' | 'probedTargets' | 'expiredLeases' | 'leasedInstances';

/** What reads need to judge a mass lease expiry provisionally, before the prober has (see {@link LeaseTally}). */
export interface ProvisionalOptions {
  /** The lease guard's threshold. @default 0.15 */
  readonly leaseExpiryShare: number;
  /** The lease guard's minimum population. @default 10 */
  readonly minPopulation: number;
  /** The prober's round interval: an expiry is judged provisionally for two rounds (plus slack) after it. @default 10 */
  readonly roundIntervalSeconds: number;
}

/** {@link ProvisionalOptions} from `DEFAULTS`: the lease guard's threshold and the prober's round interval. */
export const DEFAULT_PROVISIONAL: ProvisionalOptions = {
  leaseExpiryShare: DEFAULTS.protection.leaseExpiryShare,
  minPopulation: DEFAULTS.protection.minPopulation,
  roundIntervalSeconds: DEFAULTS.prober.roundIntervalSeconds,
};

/**
 * Slack past two prober rounds during which reads still judge an expiry themselves: the prober's first round after
 * an expiry judges it (and records an engaging guard before it marks anything), but in AWS the next invocation may
 * take a few seconds to take the lock over from the last one.
 */
const PROVISIONAL_SLACK_MS = 10_000;

/**
 * A lease with at most this share of its period left has missed its renewals: an agent renews at about a third
 * of the lease, so a live one keeps at least about two thirds.
 */
const LAPSING_SHARE = 0.25;

/**
 * The lease guard as reads judge it on their own, in the gap before the prober's next round has judged a mass
 * expiry (10–20 s at the defaults): over the leased instances a read met, the leases that expired within the last
 * two rounds (and after the guard's cutoff) plus those about to (less than a quarter of the lease left: renewals
 * missed) against every leased one. Counting the ones about to expire matters because a fleet whose heartbeats
 * stop does not expire in one instant but over the spread of its last renewals: judged on expiries alone, the first
 * 15 % would be dropped before the share crossed the threshold. A real death of a few instances in a renewing fleet
 * stays under the threshold and is dropped at once, as always. Below `minPopulation` leased instances it never
 * engages (that gap remains: a small fleet fails for real as often as not).
 *
 * @example
 * const tally = new LeaseTally(DEFAULT_PROVISIONAL, Date.now());
 * tally.add(page.items);
 * tally.keeps(expiredInstance); // => true while the share is over the threshold
 */
export class LeaseTally {
  private leased = 0;
  private lapsing = 0;
  private expired = 0;
  /** The earliest expiry counted (the `since` of a provisional protection status). */
  earliestMs: number | undefined;
  private readonly windowMs: number;

  /** Expiries at or before this no longer count (the prober let the guard go at its maximum). */
  cutoffMs: number | undefined;

  constructor(
    private readonly options: ProvisionalOptions,
    private readonly nowMs: number,
    cutoffMs?: number,
  ) {
    this.cutoffMs = cutoffMs;
    this.windowMs = 2 * options.roundIntervalSeconds * 1000 + PROVISIONAL_SLACK_MS;
  }

  /** True when this expiry is one the prober may not have judged yet. */
  recent(instance: { leaseExpiresAtMs?: number }): boolean {
    const at = instance.leaseExpiresAtMs;
    return at !== undefined && at <= this.nowMs && this.nowMs - at <= this.windowMs && (this.cutoffMs === undefined || at > this.cutoffMs);
  }

  add(instances: Iterable<{ leaseExpiresAtMs?: number; leaseSeconds?: number }>): void {
    for (const instance of instances) {
      const at = instance.leaseExpiresAtMs;
      if (at === undefined) continue;
      this.leased++;
      if (at <= this.nowMs) {
        if (!this.recent(instance)) continue;
        this.expired++;
        this.earliestMs = Math.min(this.earliestMs ?? at, at);
      } else if (instance.leaseSeconds !== undefined && at - this.nowMs <= instance.leaseSeconds * 1000 * LAPSING_SHARE) this.lapsing++;
    }
  }

  /** True when so many leases lapse at once that reads keep this expired one (marked) until the prober has judged. */
  keeps(instance: { leaseExpiresAtMs?: number }): boolean {
    return (
      this.recent(instance) && this.expired > 0 && engages(this.expired + this.lapsing, this.leased, this.options.leaseExpiryShare, this.options.minPopulation)
    );
  }
}

/**
 * The one line the prober logs when the guard's state changes (never on rounds that change nothing), saying what
 * each engaged half holds back.
 *
 * @example
 * describeProtection({ engaged: true, probeEngaged: false, leaseEngaged: true, ... });
 * // => 'registry protection engaged (leases): expired leases are kept and served marked leaseExpired, not removed'
 */
export function describeProtection(state: Pick<ProtectionState, 'engaged' | 'probeEngaged' | 'leaseEngaged'>): string {
  if (!state.engaged) return 'registry protection released: probe failures and lease expiries count again';
  const parts: string[] = [];
  if (state.probeEngaged) parts.push('nothing is marked critical and no critical instance is removed');
  if (state.leaseEngaged) parts.push('expired leases are kept and served marked leaseExpired, not removed');
  const which = [state.probeEngaged && 'probes', state.leaseEngaged && 'leases'].filter(Boolean).join(' and ');
  return `registry protection engaged (${which}): ${parts.join('; ')}`;
}
