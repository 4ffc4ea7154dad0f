/**
 * The prober's recount of each service's counters (`total`, `healthy`), which every write keeps by deltas: a counter
 * is repaired only when it disagrees with the recount in two consecutive rounds, since one round could race a write.
 * No AWS imports.
 */
import type { ServiceSummary } from '@service-registry/contracts';
import { summaryDelta, type Instance } from './instance.js';
import type { ProberStore } from './prober-ports.js';

/**
 * @example
 * const recount = new CounterRecount(store);
 * const writes = await recount.check(summary, instances); // 1 when it repaired the counters, else 0
 */
export class CounterRecount {
  /** Counters that disagreed with a recount last round, by service, as `seen total/healthy`. */
  private readonly suspect = new Map<string, string>();

  constructor(private readonly store: Pick<ProberStore, 'resetSummary'>) {}

  /**
   * Repairs counters that disagree with a recount in two consecutive rounds (one round could race a write).
   * Returns the writes made.
   */
  async check(summary: Pick<ServiceSummary, 'service' | 'total' | 'healthy'>, items: readonly Instance[]): Promise<number> {
    // The same rule as every write's delta: what creating each item would have added.
    const actual = items.reduce((sum, i) => ({ total: sum.total + 1, healthy: sum.healthy + summaryDelta(undefined, i).healthy }), { total: 0, healthy: 0 });
    const seen = `${summary.total}/${summary.healthy}`;
    if (actual.total === summary.total && actual.healthy === summary.healthy) {
      this.suspect.delete(summary.service);
      return 0;
    }
    if (this.suspect.get(summary.service) !== seen) {
      this.suspect.set(summary.service, seen);
      return 0;
    }
    this.suspect.delete(summary.service);
    await this.store.resetSummary(summary.service, actual, summary);
    return 1;
  }
}
