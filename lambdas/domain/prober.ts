/**
 * One prober/sweeper round, and the loop that runs rounds within one invocation. No AWS imports: storage,
 * probing and the lock are ports.
 *
 * A round reads every instance of its shard's services once (one Query per service page: the cheapest read),
 * then:
 * 1. sweeps in two steps: a lease seen expired is marked `removal: expired` (from then on counters leave it out);
 *    one marked in an earlier round is deleted, so a change event is published for it (TTL is only the garbage
 *    collector). The round between lets the lease guard see expiries spread over more than one sweep before
 *    anything leaves;
 * 2. probes: each distinct target (address, port, type, path) that is due is probed once, at most
 *    `maxProbesPerEndpoint` per address and port (the rest wait, least recently probed first), with bounded
 *    concurrency;
 * 3. applies thresholds from in-memory streaks and writes only changes of health (conditional on revision);
 * 4. removes probe-driven instances critical for longer than `deregisterCriticalAfterSeconds`;
 * 5. recounts service counters and repairs one that is off in two rounds running.
 * The mass-failure guard (see protection.ts) freezes the deletions of step 1, step 3 towards critical and step 4.
 */
import pMap from 'p-map';
import { createHash } from 'node:crypto';
import { criticalTooLong, isPending, nextHealth, type Streak } from './health.js';
import { isExpired, summaryDelta, type Instance, type InstanceKey, type RemovalReason } from './instance.js';
import type { Handover, Probe, ProberStore, ProbeTarget } from './prober-ports.js';
import { DEFAULT_PROTECTION, engages, type ProtectionOptions, type ProtectionState } from './protection.js';
import type { HealthState } from '@service-registry/contracts';
import { shardOf } from './shards.js';

export interface ProberOptions {
  /** Probes in flight at once. @default 256 */
  readonly concurrency: number;
  readonly protection: ProtectionOptions;
  /** This worker's slice of services: `shard` of `shards` (by a hash of the service name). @default 0 of 1 */
  readonly shard: number;
  readonly shards: number;
  /**
   * Most probes to one address and port in one round. Targets beyond it (one host registered with many check
   * paths) are probed in later rounds, least recently probed first, so each is still probed. @default 8
   */
  readonly maxProbesPerEndpoint: number;
}

export const DEFAULT_PROBER: ProberOptions = { concurrency: 256, protection: DEFAULT_PROTECTION, shard: 0, shards: 1, maxProbesPerEndpoint: 8 };

/** What one round did; the handler turns it into metrics and a log line. */
export interface RoundReport {
  services: number;
  instances: number;
  /** Targets probed this round. */
  targets: number;
  /** Of them, failed. */
  failedTargets: number;
  /** Due targets left for a later round by the per-endpoint cap. */
  deferredTargets: number;
  transitions: number;
  /** Expired leases marked this round (they leave the counters now and the table next round). */
  expiredMarked: number;
  /** Expired leases deleted this round. */
  expired: number;
  removedCritical: number;
  writes: number;
  protection: ProtectionState;
  /** The guard's state changed (and was recorded) this round: the one round that logs it. */
  protectionChanged: boolean;
  durationMs: number;
  /** Live instances by status and health after this round (the `Instances` gauge in AWS, where nothing scrapes). */
  byState: ReadonlyArray<{ status: string; health: string; count: number }>;
}

interface Tracked extends Streak {
  registeredAtMs: number;
  /** When the round that last probed it started probing (its probe start, not when the slowest probe ended). */
  lastProbedAtMs: number;
}

/** A lease this prober removed, still counted by the lease guard until `untilMs` (its expiry plus its lease period). */
interface RecentExpiry {
  expiredAtMs: number;
  untilMs: number;
}

const keyOf = (i: InstanceKey) => `${i.service}/${i.instanceId}`;

/** Most streaks handed from one invocation to the next (about 40 bytes each in the lock item). */
export const MAX_HANDOVER = 5000;

/**
 * Most bytes of each part of the handover (streaks, expiries, outcomes), counted as their JSON, which is at least
 * what DynamoDB counts for a map of numbers (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * 3 × 100 KB keeps the lock item far below the 400 KB item limit whatever the ids' lengths. What does not fit
 * starts afresh (streaks), is probed again (outcomes: every target due is probed in the first round anyway), or
 * drops out of the lease guard's window early (the oldest expiries first).
 */
export const HANDOVER_BUDGET_BYTES = 100_000;

/** A short, stable key of a probe target (the outcome map's key, also in the handover). */
function targetKey(target: ProbeTarget): string {
  return createHash('sha256').update(JSON.stringify(target)).digest('base64url').slice(0, 16);
}

/** Takes entries while their JSON fits in the budget (and at most `max` of them). */
function bounded<V>(entries: Iterable<[string, V]>, max = Infinity): Record<string, V> {
  const out: Record<string, V> = {};
  let bytes = 2;
  let count = 0;
  for (const [key, value] of entries) {
    const size = key.length + JSON.stringify(value).length + 4;
    if (count === max || bytes + size > HANDOVER_BUDGET_BYTES) break;
    out[key] = value;
    bytes += size;
    count++;
  }
  return out;
}

/** State-change writes in flight at once within a round. */
const WRITE_CONCURRENCY = 32;

/**
 * A target is due this much before its interval has passed: rounds start `roundInterval` apart, but each reads
 * the table first, and a read slower than the last one's must not push a probe back by a whole round.
 */
const DUE_SLACK_MS = 500;


/**
 * @example
 * const prober = new Prober({ store, probe });
 * const report = await prober.round();
 */
export class Prober {
  private readonly streaks = new Map<string, Tracked>();
  /** Counters that disagreed with a recount last round, by service, as `seen total/healthy`. */
  private readonly suspectCounters = new Map<string, string>();
  /** Latest known outcome of every target of the fleet, by target key (what the probe guard judges). */
  private outcomes = new Map<string, boolean>();
  /** Leases removed within their last lease period, by instance (what the lease guard adds to the present ones). */
  private recentExpiries = new Map<string, RecentExpiry>();
  /** The guard's state as last recorded (read from the store by the first round of each invocation). */
  private recorded: ProtectionState | undefined;
  private recordedLoaded = false;
  /** The recorded state when this round started (an engaging lease guard is recorded mid-round). */
  private recordedAtStart: ProtectionState | undefined;
  private readonly options: ProberOptions;
  private readonly clock: () => number;

  constructor(
    private readonly deps: { store: ProberStore; probe: Probe; clock?: () => number },
    options: Partial<Omit<ProberOptions, 'protection'>> & { protection?: Partial<ProtectionOptions> } = {},
  ) {
    this.options = { ...DEFAULT_PROBER, ...options, protection: { ...DEFAULT_PROTECTION, ...options.protection } };
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * What the next invocation needs, which may run in another execution environment: the streaks heading towards
   * a change of health (as of the last round; at most {@link MAX_HANDOVER}), the lease guard's window of recent
   * expiries (newest first) and the latest probe outcomes (failures first), each within
   * {@link HANDOVER_BUDGET_BYTES}, so the lock item stays far below DynamoDB's 400 KB item limit even in a mass
   * failure. Streaks beyond that simply start again.
   */
  exportHandover(): Handover {
    const pending = [...this.streaks].filter(([key, t]) => {
      const health = this.lastSeen.get(key);
      return health === undefined || isPending(health, t);
    });
    const streaks = bounded(pending.map(([key, t]) => [key, [t.fails, t.oks, t.registeredAtMs] as [number, number, number]]), MAX_HANDOVER);
    const expiries = bounded(
      [...this.recentExpiries].sort((a, b) => b[1].expiredAtMs - a[1].expiredAtMs).map(([key, r]) => [key, [r.expiredAtMs, r.untilMs] as [number, number]]),
    );
    const outcomes = bounded([...this.outcomes].sort((a, b) => Number(a[1]) - Number(b[1])).map(([key, ok]) => [key, ok ? 1 : 0] as [string, 0 | 1]));
    return { streaks, expiries, outcomes };
  }

  /**
   * Continues from the previous invocation's handover (undefined: none was ever left). It replaces what this
   * object remembers from an earlier invocation of its own: in AWS consecutive invocations alternate between
   * execution environments, so this memory may be a minute or more behind the other environment's. A streak the
   * previous invocation did not hand over was not heading anywhere: it starts afresh. The guard's recorded state
   * is read again by the next round.
   */
  resume(handover: Handover | undefined): void {
    this.recordedLoaded = false;
    if (!handover) return;
    const streaks = new Map<string, Tracked>();
    for (const [key, [fails, oks, registeredAtMs]] of Object.entries(handover.streaks ?? {})) {
      const local = this.streaks.get(key);
      streaks.set(key, { fails, oks, registeredAtMs, lastProbedAtMs: local?.registeredAtMs === registeredAtMs ? local.lastProbedAtMs : 0 });
    }
    for (const [key, local] of this.streaks) if (!streaks.has(key)) streaks.set(key, { ...local, fails: 0, oks: 0 });
    this.streaks.clear();
    for (const [key, t] of streaks) this.streaks.set(key, t);
    this.recentExpiries = new Map(Object.entries(handover.expiries ?? {}).map(([key, [expiredAtMs, untilMs]]) => [key, { expiredAtMs, untilMs }]));
    this.outcomes = new Map(Object.entries(handover.outcomes ?? {}).map(([key, ok]) => [key, ok === 1]));
  }

  /** Health of every live instance after the last round, to decide which streaks are worth handing over. */
  private lastSeen = new Map<string, HealthState>();

  async round(): Promise<RoundReport> {
    const started = this.clock();
    const { store } = this.deps;
    let writes = 0;
    if (!this.recordedLoaded) {
      this.recorded = await store.getProtection(this.options.shard);
      this.recordedLoaded = true;
    }
    this.recordedAtStart = this.recorded;
    const services = (await store.listAllServices()).filter((s) => shardOf(s.service, this.options.shards) === this.options.shard);
    const all: Instance[] = [];
    for (const summary of services) {
      const items = await this.readService(summary.service);
      all.push(...items);
      writes += await this.recount(summary, items);
    }
    const nowMs = this.clock();
    const live = all.filter((i) => i.removal === undefined && !isExpired(i, nowMs));

    // 1. Sweep expired leases: judge the window, mark the newly expired, delete those marked earlier.
    const leased = all.filter((i) => i.leaseExpiresAtMs !== undefined);
    const lease = this.judgeLeases(leased, nowMs);
    // A guard that engages is recorded before anything is marked: reads drop a marked expired lease unless the
    // recorded state says the guard keeps it, so marking first would empty discovery for the rest of the round.
    if (lease.engaged && this.recorded?.leaseEngaged !== true) {
      const probeEngaged = this.recorded?.probeEngaged ?? false;
      writes += await this.record({
        ...this.guardCounts(lease),
        engaged: true,
        probeEngaged,
        leaseEngaged: true,
        atMs: nowMs,
        leaseSinceMs: lease.sinceMs ?? nowMs,
        ...(lease.cutoffMs !== undefined && { leaseCutoffMs: lease.cutoffMs }),
      });
    }
    let expiredMarked = 0;
    const newlyExpired = leased.filter((i) => i.removal === undefined && isExpired(i, nowMs));
    for (const w of await pMap(newlyExpired, (i) => this.mark(i, 'expired'), { concurrency: WRITE_CONCURRENCY })) {
      writes += w.writes;
      if (w.marked) expiredMarked++;
    }
    // A lease renewed after it was marked (a heartbeat judged on a clock a little behind ours) is live again.
    for (const instance of leased.filter((i) => i.removal === 'expired' && !isExpired(i, nowMs))) {
      writes++;
      if (!(await store.unmarkRenewed(instance, nowMs))) continue;
      const delta = summaryDelta(instance, { ...instance, removal: undefined });
      if (delta.healthy !== 0) {
        writes++;
        await store.adjustSummary(instance.service, delta);
      }
    }
    let expiredRemoved = 0;
    if (!lease.engaged) {
      const marked = leased.filter((i) => i.removal === 'expired' && isExpired(i, nowMs));
      for (const w of await pMap(marked, (i) => this.remove(i, 'expired'), { concurrency: WRITE_CONCURRENCY })) {
        writes += w.writes;
        if (w.removed) expiredRemoved++;
      }
    }
    for (const instance of all) if (instance.removal === 'critical') writes += (await this.remove(instance, 'critical')).writes;

    // 2. Probe each due target once, at most maxProbesPerEndpoint per address and port.
    const probed = live.filter((i) => i.healthCheck !== undefined);
    const fleet = new Map<string, { target: ProbeTarget; due: Instance[]; lastProbedAtMs: number }>();
    for (const instance of probed) {
      const target = targetOf(instance);
      const id = targetKey(target);
      const entry = fleet.get(id) ?? { target, due: [], lastProbedAtMs: Infinity };
      if (this.isDue(instance, nowMs)) {
        entry.due.push(instance);
        entry.lastProbedAtMs = Math.min(entry.lastProbedAtMs, this.lastProbedAt(instance));
      }
      fleet.set(id, entry);
    }
    const { selected, deferred } = capPerEndpoint(
      [...fleet].filter(([, e]) => e.due.length > 0),
      this.options.maxProbesPerEndpoint,
    );
    const probeStartMs = this.clock();
    const outcomes = await pMap(selected, ([, t]) => this.deps.probe(t.target), { concurrency: this.options.concurrency });
    const failedTargets = outcomes.filter((o) => !o.ok).length;
    selected.forEach(([id], t) => this.outcomes.set(id, outcomes[t]!.ok));
    for (const id of this.outcomes.keys()) if (!fleet.has(id)) this.outcomes.delete(id);
    const fleetFailed = [...this.outcomes.values()].filter((ok) => !ok).length;
    const probeEngaged = engages(fleetFailed, this.outcomes.size, this.options.protection.probeFailureShare, this.options.protection.minPopulation);

    // 3. Thresholds → transitions (towards critical frozen while protection is engaged).
    const healthAfter = new Map(live.map((i) => [keyOf(i), i.health] as const));
    const probedAt = this.clock();
    const changes: Array<{ instance: Instance; health: HealthState }> = [];
    selected.forEach(([, entry], t) => {
      for (const instance of entry.due) {
        const tracked = this.track(instance);
        tracked.lastProbedAtMs = probeStartMs;
        const health = nextHealth(instance.health, tracked, outcomes[t]!.ok, instance.healthCheck!);
        if (health !== instance.health && !(health === 'critical' && probeEngaged)) changes.push({ instance, health });
      }
    });
    let transitions = 0;
    await pMap(changes, async ({ instance, health }) => {
      writes++;
      if (!(await store.changeHealth(instance, health, health === 'critical' ? probedAt : undefined, instance.revision, probedAt))) return;
      transitions++;
      healthAfter.set(keyOf(instance), health);
      const delta = summaryDelta(instance, { ...instance, health });
      if (delta.healthy !== 0) {
        writes++;
        await store.adjustSummary(instance.service, delta);
      }
    }, { concurrency: WRITE_CONCURRENCY });

    // 4. Probe-driven instances critical for too long leave the registry.
    let removedCritical = 0;
    if (!probeEngaged) {
      const overdue = probed.filter((i) => criticalTooLong(i, nowMs));
      for (const w of await pMap(overdue, (i) => this.remove(i, 'critical'), { concurrency: WRITE_CONCURRENCY })) {
        writes += w.writes;
        if (w.removed) removedCritical++;
      }
    }

    // Forget instances that are gone; remember the health of the rest.
    for (const key of this.streaks.keys()) if (!healthAfter.has(key)) this.streaks.delete(key);
    this.lastSeen = healthAfter;

    // 5. The guard's state is written (and so published) only when it changes.
    const engaged = probeEngaged || lease.engaged;
    const startedAs = this.recordedAtStart;
    const before = this.recorded;
    const changed =
      before === undefined
        ? engaged || lease.cutoffMs !== undefined
        : before.engaged !== engaged || before.probeEngaged !== probeEngaged || before.leaseEngaged !== lease.engaged || before.leaseCutoffMs !== lease.cutoffMs;
    const protection: ProtectionState = {
      engaged,
      probeEngaged,
      leaseEngaged: lease.engaged,
      ...this.guardCounts(lease),
      atMs: changed || before === undefined ? nowMs : before.atMs,
      ...(lease.sinceMs !== undefined && { leaseSinceMs: lease.sinceMs }),
      ...(lease.cutoffMs !== undefined && { leaseCutoffMs: lease.cutoffMs }),
    };
    if (changed) writes += await this.record(protection);
    const byState = new Map<string, { status: string; health: string; count: number }>();
    for (const instance of live) {
      const health = healthAfter.get(keyOf(instance)) ?? instance.health;
      const key = `${instance.status}/${health}`;
      const entry = byState.get(key) ?? byState.set(key, { status: instance.status, health, count: 0 }).get(key)!;
      entry.count++;
    }
    return {
      byState: [...byState.values()],
      services: services.length,
      instances: all.length,
      targets: selected.length,
      failedTargets,
      deferredTargets: deferred,
      transitions,
      expiredMarked,
      expired: expiredRemoved,
      removedCritical,
      writes,
      protection,
      protectionChanged: startedAs === undefined ? protection.engaged : startedAs.engaged !== protection.engaged || startedAs.probeEngaged !== protection.probeEngaged || startedAs.leaseEngaged !== protection.leaseEngaged,
      durationMs: this.clock() - started,
    };
  }

  /** Writes the guard's state of this shard (a change event) and remembers it as recorded. */
  private async record(state: ProtectionState): Promise<number> {
    await this.deps.store.setProtection(this.options.shard, state);
    this.recorded = state;
    return 1;
  }

  /** The populations the guard judged, as recorded with its state. */
  private guardCounts(lease: { affected: number; population: number }) {
    return {
      failedTargets: [...this.outcomes.values()].filter((ok) => !ok).length,
      probedTargets: this.outcomes.size,
      expiredLeases: lease.affected,
      leasedInstances: lease.population,
    };
  }

  /**
   * The lease guard over a window: expired leases still present plus those removed within their own lease period,
   * against every leased instance plus those removed ones. Lets go at the threshold, or after
   * `maxLeaseProtectionSeconds` (then the expiries so far stop counting, so they are removed and it does not
   * engage again for them).
   */
  private judgeLeases(leased: Instance[], nowMs: number): { engaged: boolean; affected: number; population: number; sinceMs?: number; cutoffMs?: number } {
    const { leaseExpiryShare, minPopulation, maxLeaseProtectionSeconds } = this.options.protection;
    let cutoffMs = this.recorded?.leaseCutoffMs;
    const counts = (expiredAtMs: number) => cutoffMs === undefined || expiredAtMs > cutoffMs;
    const present = new Set(leased.map(keyOf));
    for (const [key, r] of this.recentExpiries) if (r.untilMs <= nowMs || present.has(key) || !counts(r.expiredAtMs)) this.recentExpiries.delete(key);
    const expiredNow = leased.filter((i) => (isExpired(i, nowMs) || i.removal === 'expired') && counts(i.leaseExpiresAtMs!)).length;
    const affected = expiredNow + this.recentExpiries.size;
    const population = leased.length + this.recentExpiries.size;
    if (!engages(affected, population, leaseExpiryShare, minPopulation)) return { engaged: false, affected, population, ...(cutoffMs !== undefined && { cutoffMs }) };
    const sinceMs = this.recorded?.leaseEngaged ? (this.recorded.leaseSinceMs ?? this.recorded.atMs) : nowMs;
    if (nowMs - sinceMs < maxLeaseProtectionSeconds * 1000) return { engaged: true, affected, population, sinceMs, ...(cutoffMs !== undefined && { cutoffMs }) };
    // Protected long enough: what expired so far is taken as really dead.
    cutoffMs = nowMs;
    this.recentExpiries.clear();
    return { engaged: false, affected, population, cutoffMs };
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
    // The same rule as every write's delta: what creating each item would have added.
    const actual = items.reduce((sum, i) => ({ total: sum.total + 1, healthy: sum.healthy + summaryDelta(undefined, i).healthy }), { total: 0, healthy: 0 });
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

  /** Marks an instance for removal and takes it out of the healthy count (a marked instance no longer counts). */
  private async mark(instance: Instance, reason: RemovalReason): Promise<{ marked: boolean; writes: number }> {
    const { store } = this.deps;
    if (!(await store.markForRemoval(instance, reason, instance.revision))) return { marked: false, writes: 1 };
    const delta = summaryDelta(instance, { ...instance, removal: reason });
    if (delta.total === 0 && delta.healthy === 0) return { marked: true, writes: 1 };
    await store.adjustSummary(instance.service, delta);
    return { marked: true, writes: 2 };
  }

  private async remove(instance: Instance, reason: RemovalReason): Promise<{ removed: boolean; writes: number }> {
    const { store } = this.deps;
    let writes = 0;
    if (instance.removal !== reason) {
      const marked = await this.mark(instance, reason);
      writes += marked.writes;
      if (!marked.marked) return { removed: false, writes };
    }
    writes++;
    const deleted = await store.deleteMarked(instance, reason, this.clock());
    if (!deleted) return { removed: false, writes };
    writes++;
    await store.adjustSummary(instance.service, summaryDelta(deleted, undefined));
    this.streaks.delete(keyOf(instance));
    if (reason === 'expired' && deleted.leaseExpiresAtMs !== undefined && deleted.leaseSeconds !== undefined) {
      this.recentExpiries.set(keyOf(instance), { expiredAtMs: deleted.leaseExpiresAtMs, untilMs: deleted.leaseExpiresAtMs + deleted.leaseSeconds * 1000 });
    }
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

  /** When this incarnation was last probed (its round's probe start); -Infinity when never. */
  private lastProbedAt(instance: Instance): number {
    const tracked = this.streaks.get(keyOf(instance));
    return tracked && tracked.registeredAtMs === instance.registeredAtMs && tracked.lastProbedAtMs > 0 ? tracked.lastProbedAtMs : -Infinity;
  }

  /**
   * Due when its interval has passed since its last probe started. Measured from the start, not from the end of
   * the probe phase: one target hitting its timeout must not make every target skip every other round.
   */
  private isDue(instance: Instance, nowMs: number): boolean {
    return nowMs - this.lastProbedAt(instance) + DUE_SLACK_MS >= instance.healthCheck!.intervalSeconds * 1000;
  }
}

/**
 * Keeps at most `cap` due targets per address and port, least recently probed first (never probed before all),
 * so one host registered with hundreds of check paths gets `cap` probes a round and each path its turn.
 */
function capPerEndpoint<E extends { target: ProbeTarget; lastProbedAtMs: number }>(due: Array<[string, E]>, cap: number): { selected: Array<[string, E]>; deferred: number } {
  const byEndpoint = new Map<string, Array<[string, E]>>();
  for (const entry of due) {
    const endpoint = `${entry[1].target.address}|${entry[1].target.port}`;
    const list = byEndpoint.get(endpoint) ?? [];
    list.push(entry);
    byEndpoint.set(endpoint, list);
  }
  const selected: Array<[string, E]> = [];
  let deferred = 0;
  for (const list of byEndpoint.values()) {
    if (list.length > cap) list.sort((a, b) => (a[1].lastProbedAtMs < b[1].lastProbedAtMs ? -1 : a[1].lastProbedAtMs > b[1].lastProbedAtMs ? 1 : 0));
    selected.push(...list.slice(0, cap));
    deferred += Math.max(0, list.length - cap);
  }
  return { selected, deferred };
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
