/**
 * One prober/sweeper round (the loop that runs rounds within one invocation is prober-loop.ts). No AWS imports:
 * storage, probing and the lock are ports.
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
 * 5. recounts service counters and repairs one that is off in two rounds running (as it reads them).
 * The mass-failure guard (see protection.ts) freezes the deletions of step 1, step 3 towards critical and step 4.
 * Each step is a private method of {@link Prober}; what a step hands the next is a value it returns.
 *
 * Between rounds, {@link Prober.retry} re-probes only the suspects: targets whose latest probe failed and whose
 * instances are not yet critical (the loop calls it every `REGISTRY_PROBE_RETRY_SECONDS`), so a dead target reaches
 * its `unhealthyThreshold` in seconds rather than in rounds. No shard read: it reuses the round's instances (each
 * write is conditional on the revision the round saw). It feeds the same latest outcomes the probe guard judges,
 * and consults the guard before marking anything critical. With no failure there are no suspects: no extra probe
 * and no extra write.
 */
import pMap from 'p-map';
import type { HealthState } from '@service-registry/contracts';
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';
import { criticalTooLong, nextHealth } from './health.js';
import { isExpired, summaryDelta, type Instance, type RemovalReason } from './instance.js';
import { groupBy } from './prober-collections.js';
import { engagementChanged, guardAfterRound, judgeLeases, leaseEngagingState, type GuardCounts, type LeaseJudgement } from './prober-guard.js';
import { keyOf, packHandover, unpackHandover, type RecentExpiry, type Tracked } from './prober-handover.js';
import type { Handover, Probe, ProberStore, ProbeTarget } from './prober-ports.js';
import { CounterRecount } from './prober-recount.js';
import { capPerEndpoint, isChecked, targetKey, targetOf, type CheckedInstance } from './prober-targets.js';
import { DEFAULT_PROTECTION, engages, type ProtectionOptions, type ProtectionState } from './protection.js';
import { shardOf } from './shards.js';

export interface ProberOptions {
  /** Probes in flight at once. @default 256 (`DEFAULTS.prober.concurrency`) */
  readonly concurrency: number;
  readonly protection: ProtectionOptions;
  /** This worker's slice of services: `shard` of `shards` (by a hash of the service name). @default 0 of 1 */
  readonly shard: number;
  readonly shards: number;
  /**
   * Most probes to one address and port in one round. Targets beyond it (one host registered with many check
   * paths) are probed in later rounds, least recently probed first, so each is still probed.
   * @default 8 (`DEFAULTS.prober.maxProbesPerEndpoint`)
   */
  readonly maxProbesPerEndpoint: number;
}

export const DEFAULT_PROBER: ProberOptions = {
  concurrency: DEFAULTS.prober.concurrency,
  protection: DEFAULT_PROTECTION,
  shard: 0,
  shards: DEFAULTS.prober.shards,
  maxProbesPerEndpoint: DEFAULTS.prober.maxProbesPerEndpoint,
};

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

/** The shard as a round read it. */
interface ShardRead {
  readonly services: number;
  readonly instances: readonly Instance[];
  /** Counter repairs the recount made. */
  readonly writes: number;
}

/** What the sweep did. */
interface Sweep {
  readonly lease: LeaseJudgement;
  /** Expired leases marked. */
  readonly marked: number;
  /** Expired leases deleted. */
  readonly removed: number;
  readonly writes: number;
}

/** A target of the shard's live instances, with those of its instances that are due this round. */
interface FleetTarget {
  readonly key: string;
  readonly target: ProbeTarget;
  readonly due: CheckedInstance[];
  /** The earliest last probe of its due instances (-Infinity: one never was; Infinity: none is due). */
  lastProbedAtMs: number;
}

/** Which targets a round probes. */
interface ProbePlan {
  /** The key of every target of a live instance, due or not: the population the probe guard judges. */
  readonly fleet: ReadonlySet<string>;
  /** Due targets within the per-endpoint cap. */
  readonly selected: readonly FleetTarget[];
  /** Due targets left for a later round by the per-endpoint cap. */
  readonly deferred: number;
}

/** A due instance whose target was probed this round, with the target's outcome. */
interface ProbedInstance {
  readonly instance: CheckedInstance;
  readonly ok: boolean;
}

/** The probes of one round. */
interface ProbeRun {
  /** When probing started: what each probed instance's next due time counts from. */
  readonly startedAtMs: number;
  readonly targets: number;
  readonly failedTargets: number;
  readonly probed: readonly ProbedInstance[];
}

/** What one quick re-probe of the suspects did; the handler counts it with the round's metrics. */
export interface RetryReport {
  /** Suspect targets probed. */
  targets: number;
  /** Of them, failed again. */
  failedTargets: number;
  transitions: number;
  writes: number;
  /** The probe guard, judged on the fleet's latest outcomes with these: while engaged nothing is marked critical. */
  probeEngaged: boolean;
  durationMs: number;
}

/** A change of health of one instance. */
interface HealthChange {
  readonly instance: Instance;
  readonly health: HealthState;
}

/** One conditional write (with the writes that follow it): whether it took effect, and how many writes it made. */
interface WriteResult {
  readonly done: boolean;
  readonly writes: number;
}

/** A batch of conditional writes: the items whose write took effect, and how many writes the batch made. */
interface Written<T> {
  readonly done: T[];
  readonly writes: number;
}

const NOTHING_WRITTEN: Written<never> = { done: [], writes: 0 };

/** State-change writes in flight at once within a round. */
const WRITE_CONCURRENCY = 32;

/**
 * A target is due this much before its interval has passed: rounds start `roundInterval` apart, but each reads
 * the table first, and a read slower than the last one's must not push a probe back by a whole round.
 */
export const DUE_SLACK_MS = 500;

/**
 * @example
 * const prober = new Prober({ store, probe });
 * const report = await prober.round();
 */
export class Prober {
  private readonly streaks = new Map<string, Tracked>();
  /** Latest known outcome of every target of the fleet, by target key (what the probe guard judges). */
  private outcomes = new Map<string, boolean>();
  /** Leases removed within their last lease period, by instance (what the lease guard adds to the present ones). */
  private recentExpiries = new Map<string, RecentExpiry>();
  /** The guard's state as last recorded (read from the store by the first round of each invocation). */
  private recorded: ProtectionState | undefined;
  private recordedLoaded = false;
  /** Health of every live instance after the last round, to decide which streaks are worth handing over. */
  private lastSeen = new Map<string, HealthState>();
  /** Targets whose latest probe failed, with their instances not yet critical (as the last round read them). */
  private suspects: FleetTarget[] = [];
  /** When the suspects' latest probes started (the round's or the last re-probe's). */
  private suspectsProbedAtMs = 0;
  /** The probe guard as last judged (by a round or a re-probe). */
  private probeEngaged = false;
  private readonly counters: CounterRecount;
  private readonly options: ProberOptions;
  private readonly clock: () => number;

  constructor(
    private readonly deps: { store: ProberStore; probe: Probe; clock?: () => number },
    options: Partial<Omit<ProberOptions, 'protection'>> & { protection?: Partial<ProtectionOptions> } = {},
  ) {
    this.options = { ...DEFAULT_PROBER, ...options, protection: { ...DEFAULT_PROTECTION, ...options.protection } };
    this.clock = deps.clock ?? Date.now;
    this.counters = new CounterRecount(deps.store);
  }

  /**
   * What the next invocation needs, which may run in another execution environment: the streaks heading towards
   * a change of health (as of the last round; at most `MAX_HANDOVER`), the lease guard's window of recent
   * expiries (newest first) and the latest failed probe outcomes, each within
   * `HANDOVER_BUDGET_BYTES` (see prober-handover.ts), so the lock item stays far below DynamoDB's 400 KB item
   * limit even in a mass failure. Streaks beyond that simply start again.
   */
  exportHandover(): Handover {
    return packHandover({ streaks: this.streaks, outcomes: this.outcomes, recentExpiries: this.recentExpiries }, this.lastSeen);
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
    const memory = unpackHandover(handover, this.streaks, this.outcomes);
    this.streaks.clear();
    for (const [key, t] of memory.streaks) this.streaks.set(key, t);
    this.recentExpiries = memory.recentExpiries;
    this.outcomes = memory.outcomes;
  }

  /**
   * One round: reads the shard, then runs the steps above in order: the sweep (1), planning and probing (2), the
   * thresholds (3), the removal of instances critical too long (4), and records the guard's state if it changed.
   */
  async round(): Promise<RoundReport> {
    const started = this.clock();
    // The recorded state when this round started (an engaging lease guard is recorded mid-round).
    const recordedAtStart = await this.loadRecorded();
    const shard = await this.readShard();
    const nowMs = this.clock();
    const live = shard.instances.filter((i) => i.removal === undefined && !isExpired(i, nowMs));
    const checked = live.filter(isChecked);

    const sweep = await this.sweep(shard.instances, nowMs);
    const plan = this.plan(checked, nowMs);
    const probes = await this.probe(plan);
    const probeEngaged = this.judgeProbes();
    const transitions = await this.applyThresholds(probes, probeEngaged);
    const overdue = probeEngaged ? NOTHING_WRITTEN : await this.removeOverdue(checked, nowMs);
    const healthAfter = this.remember(live, transitions.done);
    const guard = await this.recordGuard(probeEngaged, sweep.lease, nowMs);
    this.suspects = this.findSuspects(checked, healthAfter);
    this.suspectsProbedAtMs = probes.startedAtMs;
    this.probeEngaged = probeEngaged;

    return {
      byState: countByState(live, healthAfter),
      services: shard.services,
      instances: shard.instances.length,
      targets: probes.targets,
      failedTargets: probes.failedTargets,
      deferredTargets: plan.deferred,
      transitions: transitions.done.length,
      expiredMarked: sweep.marked,
      expired: sweep.removed,
      removedCritical: overdue.done.length,
      writes: shard.writes + sweep.writes + transitions.writes + overdue.writes + guard.writes,
      protection: guard.state,
      protectionChanged: engagementChanged(recordedAtStart, guard.state),
      durationMs: this.clock() - started,
    };
  }

  /**
   * The quick re-probe due, if any: when the suspects were last probed, and the longest timeout among them (so the
   * loop starts one only when it can end before the next round). None without suspects, or while the probe guard is
   * engaged (nothing could be marked critical: re-probing a whole failing fleet every second would only cost).
   */
  pendingRetry(): { probedAtMs: number; timeoutMs: number } | undefined {
    if (this.suspects.length === 0 || this.probeEngaged) return undefined;
    const timeoutSeconds = this.suspects.reduce((longest, s) => Math.max(longest, s.target.timeoutSeconds), 0);
    return { probedAtMs: this.suspectsProbedAtMs, timeoutMs: timeoutSeconds * 1000 };
  }

  /**
   * Re-probes the suspects once (at most `maxProbesPerEndpoint` per address and port, like a round), then judges the
   * probe guard on the fleet's latest outcomes and writes the changes of health the thresholds call for (towards
   * critical only while the guard stays out), each conditional on the revision the round saw. A suspect leaves the
   * list when it passes, turns critical, or its write finds the instance changed (the next round reads it afresh).
   * Leaves the round's cadence alone: the next round probes each due target as it would have.
   */
  async retry(): Promise<RetryReport> {
    const startedAtMs = this.clock();
    const { selected } = capPerEndpoint(this.suspects, this.options.maxProbesPerEndpoint);
    const outcomes = await pMap(selected, (t) => this.deps.probe(t.target), { concurrency: this.options.concurrency });
    selected.forEach((t, n) => this.outcomes.set(t.key, outcomes[n]!.ok));
    this.suspectsProbedAtMs = startedAtMs;
    this.probeEngaged = this.judgeProbes();
    const probed = selected.flatMap((t, n) => t.due.map((instance) => ({ instance, ok: outcomes[n]!.ok })));
    const changes = this.countOutcomes(probed, this.probeEngaged);
    const written = await writeEach(changes, (change) => this.changeHealth(change, this.clock()));
    for (const { instance, health } of written.done) this.lastSeen.set(keyOf(instance), health);
    const settled = new Set(changes.map((c) => keyOf(c.instance)));
    this.suspects = this.suspects
      .filter((s) => this.outcomes.get(s.key) === false)
      .map((s) => ({ ...s, due: s.due.filter((i) => !settled.has(keyOf(i))) }))
      .filter((s) => s.due.length > 0);
    return {
      targets: selected.length,
      failedTargets: outcomes.filter((o) => !o.ok).length,
      transitions: written.done.length,
      writes: written.writes,
      probeEngaged: this.probeEngaged,
      durationMs: this.clock() - startedAtMs,
    };
  }

  /** The guard's recorded state, read from the store by the first round of each invocation. */
  private async loadRecorded(): Promise<ProtectionState | undefined> {
    if (!this.recordedLoaded) {
      this.recorded = await this.deps.store.getProtection(this.options.shard);
      this.recordedLoaded = true;
    }
    return this.recorded;
  }

  /** Reads every instance of the shard's services, recounting each service's counters (step 5) as it goes. */
  private async readShard(): Promise<ShardRead> {
    const services = (await this.deps.store.listAllServices()).filter((s) => shardOf(s.service, this.options.shards) === this.options.shard);
    const instances: Instance[] = [];
    let writes = 0;
    for (const summary of services) {
      const items = await this.readService(summary.service);
      instances.push(...items);
      writes += await this.counters.check(summary, items);
    }
    return { services: services.length, instances, writes };
  }

  /**
   * Step 1, the sweep of expired leases: judges the lease guard's window, marks the newly expired, takes the mark
   * off the renewed, deletes those marked earlier (unless the guard is engaged), and finishes the removal of
   * instances an earlier round marked critical.
   */
  private async sweep(instances: readonly Instance[], nowMs: number): Promise<Sweep> {
    const leased = instances.filter((i) => i.leaseExpiresAtMs !== undefined);
    const lease = judgeLeases(leased, this.recentExpiries, this.recorded, this.options.protection, nowMs);
    // A guard that engages is recorded before anything is marked: reads drop a marked expired lease unless the
    // recorded state says the guard keeps it, so marking first would empty discovery for the rest of the round.
    const engaging =
      lease.engaged && this.recorded?.leaseEngaged !== true ? await this.record(leaseEngagingState(this.recorded, lease, this.guardCounts(lease), nowMs)) : 0;
    const marked = await writeEach(
      leased.filter((i) => i.removal === undefined && isExpired(i, nowMs)),
      (i) => this.mark(i, 'expired'),
    );
    const unmarked = await this.unmarkRenewed(
      leased.filter((i) => i.removal === 'expired' && !isExpired(i, nowMs)),
      nowMs,
    );
    const removed = lease.engaged
      ? NOTHING_WRITTEN
      : await writeEach(
          leased.filter((i) => i.removal === 'expired' && isExpired(i, nowMs)),
          (i) => this.remove(i, 'expired'),
        );
    const critical = await this.finishCriticalRemovals(instances);
    return { lease, marked: marked.done.length, removed: removed.done.length, writes: engaging + marked.writes + unmarked + removed.writes + critical };
  }

  /**
   * A lease renewed after it was marked (a heartbeat judged on a clock a little behind ours) is live again.
   * Returns the writes made.
   */
  private async unmarkRenewed(renewed: readonly Instance[], nowMs: number): Promise<number> {
    let writes = 0;
    for (const instance of renewed) {
      writes++;
      if (!(await this.deps.store.unmarkRenewed(instance, nowMs))) continue;
      const delta = summaryDelta(instance, { ...instance, removal: undefined });
      if (delta.healthy !== 0) {
        writes++;
        await this.deps.store.adjustSummary(instance.service, delta);
      }
    }
    return writes;
  }

  /** Deletes instances marked critical whose removal an earlier round began; returns the writes made. */
  private async finishCriticalRemovals(instances: readonly Instance[]): Promise<number> {
    let writes = 0;
    for (const instance of instances) if (instance.removal === 'critical') writes += (await this.remove(instance, 'critical')).writes;
    return writes;
  }

  /**
   * Step 2, which targets to probe: every distinct target of the live checked instances (the probe guard's
   * population), and of those due, at most `maxProbesPerEndpoint` per address and port.
   */
  private plan(checked: readonly CheckedInstance[], nowMs: number): ProbePlan {
    const fleet = new Map<string, FleetTarget>();
    for (const instance of checked) {
      const target = targetOf(instance);
      const key = targetKey(target);
      const entry = fleet.get(key) ?? { key, target, due: [], lastProbedAtMs: Infinity };
      if (this.isDue(instance, nowMs)) {
        entry.due.push(instance);
        entry.lastProbedAtMs = Math.min(entry.lastProbedAtMs, this.lastProbedAt(instance));
      }
      fleet.set(key, entry);
    }
    const { selected, deferred } = capPerEndpoint(
      [...fleet.values()].filter((e) => e.due.length > 0),
      this.options.maxProbesPerEndpoint,
    );
    return { fleet: new Set(fleet.keys()), selected, deferred };
  }

  /**
   * Step 2, the probes: each selected target once, with bounded concurrency. Their outcomes become the latest known
   * ones; targets no longer in the fleet are forgotten.
   */
  private async probe(plan: ProbePlan): Promise<ProbeRun> {
    const startedAtMs = this.clock();
    const outcomes = await pMap(plan.selected, (t) => this.deps.probe(t.target), { concurrency: this.options.concurrency });
    plan.selected.forEach((t, n) => this.outcomes.set(t.key, outcomes[n]!.ok));
    for (const key of this.outcomes.keys()) if (!plan.fleet.has(key)) this.outcomes.delete(key);
    return {
      startedAtMs,
      targets: plan.selected.length,
      failedTargets: outcomes.filter((o) => !o.ok).length,
      probed: plan.selected.flatMap((t, n) => t.due.map((instance) => ({ instance, ok: outcomes[n]!.ok }))),
    };
  }

  /** The probe guard, over the latest outcome of every target of the fleet (see protection.ts). */
  private judgeProbes(): boolean {
    const { probeFailureShare, minPopulation } = this.options.protection;
    return engages(this.failedOutcomes(), this.outcomes.size, probeFailureShare, minPopulation);
  }

  /**
   * Step 3, thresholds → transitions: counts each probed instance's outcome into its streak and writes the changes
   * of health the thresholds call for, each conditional on the revision the round saw. Towards critical is frozen
   * while the probe guard is engaged. Returns the changes written.
   */
  private async applyThresholds(run: ProbeRun, probeEngaged: boolean): Promise<Written<HealthChange>> {
    const probedAt = this.clock();
    for (const { instance } of run.probed) this.track(instance).lastProbedAtMs = run.startedAtMs;
    const changes = this.countOutcomes(run.probed, probeEngaged);
    return writeEach(changes, (change) => this.changeHealth(change, probedAt));
  }

  /**
   * Counts each probed instance's outcome into its streak: the changes of health the thresholds call for (towards
   * critical none while the probe guard is engaged).
   */
  private countOutcomes(probed: readonly ProbedInstance[], probeEngaged: boolean): HealthChange[] {
    const changes: HealthChange[] = [];
    for (const { instance, ok } of probed) {
      const health = nextHealth(instance.health, this.track(instance), ok, instance.healthCheck);
      if (health !== instance.health && !(health === 'critical' && probeEngaged)) changes.push({ instance, health });
    }
    return changes;
  }

  /**
   * The suspects after a round: the targets whose latest outcome is a failure, with those of their live instances
   * that are not critical after the round and whose streak counts failures (each target once, whether or not the
   * round probed it).
   */
  private findSuspects(checked: readonly CheckedInstance[], healthAfter: ReadonlyMap<string, HealthState>): FleetTarget[] {
    const suspects = new Map<string, FleetTarget>();
    for (const instance of checked) {
      const streak = this.streaks.get(keyOf(instance));
      if (!streak || streak.registeredAtMs !== instance.registeredAtMs || streak.fails === 0) continue;
      if (healthAfter.get(keyOf(instance)) === 'critical') continue;
      const target = targetOf(instance);
      const key = targetKey(target);
      if (this.outcomes.get(key) !== false) continue;
      const entry = suspects.get(key) ?? { key, target, due: [], lastProbedAtMs: this.lastProbedAt(instance) };
      entry.due.push(instance);
      suspects.set(key, entry);
    }
    return [...suspects.values()];
  }

  /**
   * Writes one change of health; not done when the revision moved on meanwhile. The healthy counter follows from
   * the stream (the publisher counts the health record: lambdas/domain/stream-counters.ts).
   */
  private async changeHealth({ instance, health }: HealthChange, nowMs: number): Promise<WriteResult> {
    const done = await this.deps.store.changeHealth(instance, health, health === 'critical' ? nowMs : undefined, instance.revision, nowMs);
    return { done, writes: 1 };
  }

  /** Step 4: probe-driven instances critical for too long leave the registry (not while the probe guard is engaged). */
  private removeOverdue(checked: readonly CheckedInstance[], nowMs: number): Promise<Written<CheckedInstance>> {
    return writeEach(
      checked.filter((i) => criticalTooLong(i, nowMs)),
      (i) => this.remove(i, 'critical'),
    );
  }

  /** Remembers the health of every live instance after this round (with `changes`) and forgets instances that are gone. */
  private remember(live: readonly Instance[], changes: readonly HealthChange[]): ReadonlyMap<string, HealthState> {
    const healthAfter = new Map(live.map((i) => [keyOf(i), i.health] as const));
    for (const { instance, health } of changes) healthAfter.set(keyOf(instance), health);
    for (const key of this.streaks.keys()) if (!healthAfter.has(key)) this.streaks.delete(key);
    this.lastSeen = healthAfter;
    return healthAfter;
  }

  /** The guard's state after this round; written (and so published) only when it changes. */
  private async recordGuard(probeEngaged: boolean, lease: LeaseJudgement, nowMs: number): Promise<{ state: ProtectionState; writes: number }> {
    const { state, changed } = guardAfterRound(this.recorded, probeEngaged, lease, this.guardCounts(lease), nowMs);
    return { state, writes: changed ? await this.record(state) : 0 };
  }

  /** Writes the guard's state of this shard (a change event) and remembers it as recorded. */
  private async record(state: ProtectionState): Promise<number> {
    await this.deps.store.setProtection(this.options.shard, state);
    this.recorded = state;
    return 1;
  }

  /** Targets whose latest known outcome is a failure. */
  private failedOutcomes(): number {
    return [...this.outcomes.values()].filter((ok) => !ok).length;
  }

  /** The populations the guard judged, as recorded with its state. */
  private guardCounts(lease: Pick<LeaseJudgement, 'affected' | 'population'>): GuardCounts {
    return {
      failedTargets: this.failedOutcomes(),
      probedTargets: this.outcomes.size,
      expiredLeases: lease.affected,
      leasedInstances: lease.population,
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

  /** Marks an instance for removal and takes it out of the healthy count (a marked instance no longer counts). */
  private async mark(instance: Instance, reason: RemovalReason): Promise<WriteResult> {
    const { store } = this.deps;
    if (!(await store.markForRemoval(instance, reason, instance.revision))) return { done: false, writes: 1 };
    const delta = summaryDelta(instance, { ...instance, removal: reason });
    if (delta.total === 0 && delta.healthy === 0) return { done: true, writes: 1 };
    await store.adjustSummary(instance.service, delta);
    return { done: true, writes: 2 };
  }

  /** Marks (unless already so marked) and deletes an instance; a removed lease joins the lease guard's window. */
  private async remove(instance: Instance, reason: RemovalReason): Promise<WriteResult> {
    const { store } = this.deps;
    let writes = 0;
    if (instance.removal !== reason) {
      const marked = await this.mark(instance, reason);
      writes += marked.writes;
      if (!marked.done) return { done: false, writes };
    }
    writes++;
    const deleted = await store.deleteMarked(instance, reason, this.clock());
    // The counters follow from the stream (the publisher counts the delete); the mark above is counted here, since
    // the stream filter keeps marks from the publisher.
    if (!deleted) return { done: false, writes };
    this.streaks.delete(keyOf(instance));
    if (reason === 'expired' && deleted.leaseExpiresAtMs !== undefined && deleted.leaseSeconds !== undefined) {
      this.recentExpiries.set(keyOf(instance), { expiredAtMs: deleted.leaseExpiresAtMs, untilMs: deleted.leaseExpiresAtMs + deleted.leaseSeconds * 1000 });
    }
    return { done: true, writes };
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
  private isDue(instance: CheckedInstance, nowMs: number): boolean {
    return nowMs - this.lastProbedAt(instance) + DUE_SLACK_MS >= instance.healthCheck.intervalSeconds * 1000;
  }
}

/** Runs conditional writes, {@link WRITE_CONCURRENCY} at a time: the items whose write took effect, and the writes made. */
async function writeEach<T>(items: readonly T[], write: (item: T) => Promise<WriteResult>): Promise<Written<T>> {
  const results = await pMap(items, write, { concurrency: WRITE_CONCURRENCY });
  return { done: items.filter((_, n) => results[n]!.done), writes: results.reduce((sum, r) => sum + r.writes, 0) };
}

/** Live instances by status and health, with the health this round left them in. */
function countByState(live: readonly Instance[], healthAfter: ReadonlyMap<string, HealthState>): RoundReport['byState'] {
  const states = live.map((i) => ({ status: i.status, health: healthAfter.get(keyOf(i)) ?? i.health }));
  return [...groupBy(states, (s) => `${s.status}/${s.health}`).values()].map((group) => ({ ...group[0]!, count: group.length }));
}
