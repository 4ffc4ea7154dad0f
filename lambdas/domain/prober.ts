/**
 * One prober/sweeper round, and the loop that runs rounds within one invocation. No AWS imports: storage,
 * probing and the lock are ports.
 *
 * A round reads every instance of its shard's services once (one Query per service page: the cheapest read),
 * then:
 * 1. sweeps: instances whose lease expired are marked `removal: expired` and deleted, so a change event is published
 *    for them promptly (TTL is only the garbage collector);
 * 2. probes: each distinct target (address, port, type, path) that is due is probed once, with bounded concurrency;
 * 3. applies thresholds from in-memory streaks and writes only changes of health (conditional on revision);
 * 4. removes probe-driven instances critical for longer than `deregisterCriticalAfterSeconds`;
 * 5. recounts service counters and repairs one that is off in two rounds running.
 * The mass-failure guard (see protection.ts) can freeze steps 1, 3 (towards critical) and 4 for a round.
 */
import { criticalTooLong, isPending, nextHealth, type Streak } from './health.js';
import { countsHealthy, isExpired, summaryDelta, type Instance, type InstanceKey, type RemovalReason } from './instance.js';
import type { Handover, Probe, ProberStore, ProbeTarget } from './prober-ports.js';
import { DEFAULT_PROTECTION, engages, type ProtectionOptions, type ProtectionState } from './protection.js';
import type { HealthState } from './schemas.js';

export interface ProberOptions {
  /** Probes in flight at once. @default 256 */
  readonly concurrency: number;
  readonly protection: ProtectionOptions;
  /** This worker's slice of services: `shard` of `shards` (by a hash of the service name). @default 0 of 1 */
  readonly shard: number;
  readonly shards: number;
}

export const DEFAULT_PROBER: ProberOptions = { concurrency: 256, protection: DEFAULT_PROTECTION, shard: 0, shards: 1 };

/** What one round did; the handler turns it into metrics and a log line. */
export interface RoundReport {
  services: number;
  instances: number;
  targets: number;
  failedTargets: number;
  transitions: number;
  expired: number;
  removedCritical: number;
  writes: number;
  protection: ProtectionState;
  durationMs: number;
}

interface Tracked extends Streak {
  registeredAtMs: number;
  lastProbedAtMs: number;
}

const keyOf = (i: InstanceKey) => `${i.service}/${i.instanceId}`;

/** Most streaks handed from one invocation to the next (about 40 bytes each in the lock item). */
export const MAX_HANDOVER = 5000;

/** State-change writes in flight at once within a round. */
const WRITE_CONCURRENCY = 32;

/** FNV-1a: a stable, cheap hash to split services across shards. */
export function shardOf(service: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) hash = Math.imul(hash ^ service.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/**
 * @example
 * const prober = new Prober({ store, probe });
 * const report = await prober.round();
 */
export class Prober {
  private readonly streaks = new Map<string, Tracked>();
  /** Counters that disagreed with a recount last round, by service, as `seen total/healthy`. */
  private readonly suspectCounters = new Map<string, string>();
  private protectionEngaged = false;
  private readonly options: ProberOptions;
  private readonly clock: () => number;

  constructor(
    private readonly deps: { store: ProberStore; probe: Probe; clock?: () => number },
    options: Partial<ProberOptions> = {},
  ) {
    this.options = { ...DEFAULT_PROBER, ...options };
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Streaks heading towards a change of health (as of the last round), for the next invocation. At most
   * {@link MAX_HANDOVER} of them, so the lock item stays far below DynamoDB's 400 KB item limit even in a mass
   * failure; streaks beyond that simply start again.
   */
  exportStreaks(): Handover {
    const out: Handover = {};
    let count = 0;
    for (const [key, t] of this.streaks) {
      const health = this.lastSeen.get(key);
      if (health !== undefined && !isPending(health, t)) continue;
      if (count++ === MAX_HANDOVER) break;
      out[key] = [t.fails, t.oks, t.registeredAtMs];
    }
    return out;
  }

  importStreaks(handover: Handover | undefined): void {
    for (const [key, [fails, oks, registeredAtMs]] of Object.entries(handover ?? {})) {
      this.streaks.set(key, { fails, oks, registeredAtMs, lastProbedAtMs: 0 });
    }
  }

  /** Health of every live instance after the last round, to decide which streaks are worth handing over. */
  private lastSeen = new Map<string, HealthState>();

  async round(): Promise<RoundReport> {
    const started = this.clock();
    const { store } = this.deps;
    let writes = 0;
    const services = (await store.listAllServices()).filter((s) => shardOf(s.service, this.options.shards) === this.options.shard);
    const all: Instance[] = [];
    for (const summary of services) {
      const items = await this.readService(summary.service);
      all.push(...items);
      writes += await this.recount(summary, items);
    }
    const nowMs = this.clock();
    const live = all.filter((i) => i.removal === undefined && !isExpired(i, nowMs));

    // 1. Sweep expired leases (and finish removals a crashed round left marked).
    const leased = all.filter((i) => i.leaseExpiresAtMs !== undefined);
    const expired = leased.filter((i) => isExpired(i, nowMs) || i.removal === 'expired');
    const leaseEngaged = engages(expired.length, leased.length, this.options.protection.leaseExpiryShare, this.options.protection.minPopulation);
    let expiredRemoved = 0;
    if (!leaseEngaged) {
      for (const w of await mapLimit(expired, WRITE_CONCURRENCY, (i) => this.remove(i, 'expired'))) {
        writes += w.writes;
        if (w.removed) expiredRemoved++;
      }
    }
    for (const instance of all) if (instance.removal === 'critical') writes += (await this.remove(instance, 'critical')).writes;

    // 2. Probe each due target once.
    const probed = live.filter((i) => i.healthCheck !== undefined);
    const due = probed.filter((i) => this.isDue(i, nowMs));
    const targets = new Map<string, { target: ProbeTarget; instances: Instance[] }>();
    for (const instance of due) {
      const target = targetOf(instance);
      const id = JSON.stringify(target);
      const entry = targets.get(id) ?? { target, instances: [] };
      entry.instances.push(instance);
      targets.set(id, entry);
    }
    const outcomes = await mapLimit([...targets.values()], this.options.concurrency, (t) => this.deps.probe(t.target));
    const failedTargets = outcomes.filter((o) => !o.ok).length;
    const probeEngaged = engages(failedTargets, targets.size, this.options.protection.probeFailureShare, this.options.protection.minPopulation);

    // 3. Thresholds → transitions (towards critical frozen while protection is engaged).
    const healthAfter = new Map(live.map((i) => [keyOf(i), i.health] as const));
    const probedAt = this.clock();
    const changes: Array<{ instance: Instance; health: HealthState }> = [];
    [...targets.values()].forEach((entry, t) => {
      for (const instance of entry.instances) {
        const tracked = this.track(instance);
        tracked.lastProbedAtMs = probedAt;
        const health = nextHealth(instance.health, tracked, outcomes[t]!.ok, instance.healthCheck!);
        if (health !== instance.health && !(health === 'critical' && probeEngaged)) changes.push({ instance, health });
      }
    });
    let transitions = 0;
    await mapLimit(changes, WRITE_CONCURRENCY, async ({ instance, health }) => {
      writes++;
      if (!(await store.changeHealth(instance, health, health === 'critical' ? probedAt : undefined, instance.revision, probedAt))) return;
      transitions++;
      healthAfter.set(keyOf(instance), health);
      const delta = summaryDelta(instance, { ...instance, health });
      if (delta.healthy !== 0) {
        writes++;
        await store.adjustSummary(instance.service, delta);
      }
    });

    // 4. Probe-driven instances critical for too long leave the registry.
    let removedCritical = 0;
    if (!probeEngaged) {
      const overdue = probed.filter((i) => criticalTooLong(i, nowMs));
      for (const w of await mapLimit(overdue, WRITE_CONCURRENCY, (i) => this.remove(i, 'critical'))) {
        writes += w.writes;
        if (w.removed) removedCritical++;
      }
    }

    // Forget instances that are gone; remember the health of the rest.
    for (const key of this.streaks.keys()) if (!healthAfter.has(key)) this.streaks.delete(key);
    this.lastSeen = healthAfter;

    // 5. The guard's state is written (and so published) only when it changes.
    const engaged = probeEngaged || leaseEngaged;
    const protection: ProtectionState = {
      engaged,
      probeEngaged,
      leaseEngaged,
      failedTargets,
      probedTargets: targets.size,
      expiredLeases: expired.length,
      leasedInstances: leased.length,
      atMs: nowMs,
    };
    if (engaged !== this.protectionEngaged) {
      writes++;
      await store.setProtection(protection);
      this.protectionEngaged = engaged;
    }
    return {
      services: services.length,
      instances: all.length,
      targets: targets.size,
      failedTargets,
      transitions,
      expired: expiredRemoved,
      removedCritical,
      writes,
      protection,
      durationMs: this.clock() - started,
    };
  }

  private async readService(service: string): Promise<Instance[]> {
    const items: Instance[] = [];
    let after: string | undefined;
    do {
      const page = await this.deps.store.page(service, after, 1000);
      items.push(...page.items);
      after = page.lastId;
    } while (after !== undefined);
    return items;
  }

  /** Repairs counters that disagree with a recount in two consecutive rounds (one round could race a write). */
  private async recount(summary: { service: string; total: number; healthy: number }, items: Instance[]): Promise<number> {
    const actual = { total: items.length, healthy: items.filter(countsHealthy).length };
    const seen = `${summary.total}/${summary.healthy}`;
    if (actual.total === summary.total && actual.healthy === summary.healthy) {
      this.suspectCounters.delete(summary.service);
      return 0;
    }
    if (this.suspectCounters.get(summary.service) !== seen) {
      this.suspectCounters.set(summary.service, seen);
      return 0;
    }
    this.suspectCounters.delete(summary.service);
    await this.deps.store.resetSummary(summary.service, actual, summary);
    return 1;
  }

  private async remove(instance: Instance, reason: RemovalReason): Promise<{ removed: boolean; writes: number }> {
    const { store } = this.deps;
    let writes = 0;
    if (instance.removal !== reason) {
      writes++;
      if (!(await store.markForRemoval(instance, reason, instance.revision, this.clock()))) return { removed: false, writes };
    }
    writes++;
    const deleted = await store.deleteMarked(instance, reason);
    if (!deleted) return { removed: false, writes };
    writes++;
    await store.adjustSummary(instance.service, summaryDelta(deleted, undefined));
    this.streaks.delete(keyOf(instance));
    return { removed: true, writes };
  }

  private track(instance: Instance): Tracked {
    const key = keyOf(instance);
    let tracked = this.streaks.get(key);
    // A re-registration starts afresh: its health is unknown again.
    if (!tracked || tracked.registeredAtMs !== instance.registeredAtMs) {
      tracked = { fails: 0, oks: 0, registeredAtMs: instance.registeredAtMs, lastProbedAtMs: 0 };
      this.streaks.set(key, tracked);
    }
    return tracked;
  }

  /** Due when its interval has passed since its last probe (with half a second of slack for round jitter). */
  private isDue(instance: Instance, nowMs: number): boolean {
    const tracked = this.streaks.get(keyOf(instance));
    if (!tracked || tracked.registeredAtMs !== instance.registeredAtMs) return true;
    return nowMs - tracked.lastProbedAtMs + 500 >= instance.healthCheck!.intervalSeconds * 1000;
  }
}

/** The probe target of an instance: only its registered address and port, plus the check's path. Never a free URL. */
export function targetOf(instance: Instance): ProbeTarget {
  const check = instance.healthCheck!;
  return {
    type: check.type,
    tls: instance.protocol === 'https',
    address: instance.address,
    port: instance.port,
    ...(check.type === 'http' && { path: check.path ?? '/health' }),
    timeoutSeconds: check.timeoutSeconds,
  };
}

/** Maps with at most `limit` calls in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
