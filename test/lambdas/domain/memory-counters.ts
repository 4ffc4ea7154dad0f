/** A {@link StreamCounterStore} over a Map, with the DynamoDB adapter's condition (mark absent or below `from`). */
import type { SummaryDelta } from '../../../lambdas/domain/instance.js';
import type { StreamCounterStore } from '../../../lambdas/domain/ports.js';

export class MemoryCounters implements StreamCounterStore {
  readonly counters = new Map<string, { total: number; healthy: number; mark?: string }>();
  /** Services whose next write throws (once each). */
  readonly failing = new Set<string>();
  writes = 0;

  async addStreamCounts(service: string, delta: SummaryDelta, from: string, through: string) {
    this.writes++;
    if (this.failing.delete(service)) throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    const current = this.counters.get(service) ?? { total: 0, healthy: 0 };
    if (current.mark !== undefined && current.mark >= from) return { applied: false as const, mark: current.mark };
    this.counters.set(service, { total: current.total + delta.total, healthy: current.healthy + delta.healthy, mark: through });
    return { applied: true as const };
  }

  /** The counters as `GET /v1/services` shows them. */
  of(service: string): { total: number; healthy: number } | undefined {
    const c = this.counters.get(service);
    return c && { total: c.total, healthy: c.healthy };
  }

  reset(): void {
    this.counters.clear();
    this.failing.clear();
    this.writes = 0;
  }
}
