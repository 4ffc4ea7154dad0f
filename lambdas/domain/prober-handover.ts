/**
 * What one prober invocation remembers for the next, and how it fits in the shard's lock item: the streaks, the
 * lease guard's window of recent expiries and the latest probe outcomes, each bounded. No AWS imports.
 */
import type { HealthState } from '@service-registry/contracts';
import { isPending, type Streak } from './health.js';
import { bounded } from './prober-collections.js';
import type { InstanceKey } from './instance.js';
import type { Handover } from './prober-ports.js';

/** The key of an instance in the prober's memory and in the handover: `service/instanceId`. */
export const keyOf = (i: InstanceKey) => `${i.service}/${i.instanceId}`;

/** The streak of one instance (by `service/instanceId`), with the incarnation it counts for. */
export interface Tracked extends Streak {
  registeredAtMs: number;
  /** When the round that last probed it started probing (its probe start, not when the slowest probe ended). */
  lastProbedAtMs: number;
}

/** A lease this prober removed, still counted by the lease guard until `untilMs` (its expiry plus its lease period). */
export interface RecentExpiry {
  expiredAtMs: number;
  untilMs: number;
}

/** What the prober remembers between rounds that the next invocation needs. */
export interface ProberMemory {
  readonly streaks: ReadonlyMap<string, Tracked>;
  /** Latest known outcome of every target of the fleet, by target key (what the probe guard judges). */
  readonly outcomes: ReadonlyMap<string, boolean>;
  /** Leases removed within their last lease period, by instance (what the lease guard adds to the present ones). */
  readonly recentExpiries: ReadonlyMap<string, RecentExpiry>;
}

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

/**
 * The handover of `memory`: the streaks heading towards a change of health from `lastSeen` (an instance not seen
 * yet counts as heading somewhere; at most {@link MAX_HANDOVER}), the recent expiries (newest first) and the
 * failed outcomes, each within {@link HANDOVER_BUDGET_BYTES}.
 */
export function packHandover(memory: ProberMemory, lastSeen: ReadonlyMap<string, HealthState>): Handover {
  const pending = [...memory.streaks].filter(([key, t]) => {
    const health = lastSeen.get(key);
    return health === undefined || isPending(health, t);
  });
  const streaks = bounded(
    pending.map(([key, t]) => [key, [t.fails, t.oks, t.registeredAtMs] as [number, number, number]]),
    HANDOVER_BUDGET_BYTES,
    MAX_HANDOVER,
  );
  const expiries = bounded(
    [...memory.recentExpiries].sort((a, b) => b[1].expiredAtMs - a[1].expiredAtMs).map(([key, r]) => [key, [r.expiredAtMs, r.untilMs] as [number, number]]),
    HANDOVER_BUDGET_BYTES,
  );
  // Failures only: a passing target is what the next round assumes of a target it knows and the handover does not
  // list (see unpackHandover). The lock item is written twice a round, and DynamoDB bills an update by the whole
  // item's size, so a steady fleet's handover must be nearly empty whatever its size (1,000 passing targets would
  // make it ~20 KB: 20 write units per write instead of 1).
  const outcomes = bounded(
    [...memory.outcomes].filter(([, ok]) => !ok).map(([key]) => [key, 0] as [string, 0 | 1]),
    HANDOVER_BUDGET_BYTES,
  );
  return { streaks, expiries, outcomes };
}

/**
 * The memory to continue from after `handover`, given this process's own `local` streaks and outcomes. A
 * handed-over streak keeps the local time of its last probe when it is the same incarnation; a local streak the
 * handover does not hold was not heading anywhere, so it starts afresh (keeping when it was last probed). The
 * handover lists the failed targets: a target this process knows and the handover does not list passed its latest
 * probe (the population the probe guard judges stays the one this process knows; a process that knows none probes
 * every target in its first round, each being due, before the guard is judged).
 */
export function unpackHandover(
  handover: Handover,
  local: ReadonlyMap<string, Tracked>,
  localOutcomes: ReadonlyMap<string, boolean> = new Map(),
): { streaks: Map<string, Tracked>; outcomes: Map<string, boolean>; recentExpiries: Map<string, RecentExpiry> } {
  const streaks = new Map<string, Tracked>();
  for (const [key, [fails, oks, registeredAtMs]] of Object.entries(handover.streaks ?? {})) {
    const mine = local.get(key);
    streaks.set(key, { fails, oks, registeredAtMs, lastProbedAtMs: mine?.registeredAtMs === registeredAtMs ? mine.lastProbedAtMs : 0 });
  }
  for (const [key, mine] of local) if (!streaks.has(key)) streaks.set(key, { ...mine, fails: 0, oks: 0 });
  return {
    streaks,
    recentExpiries: new Map(Object.entries(handover.expiries ?? {}).map(([key, [expiredAtMs, untilMs]]) => [key, { expiredAtMs, untilMs }])),
    outcomes: new Map([
      ...[...localOutcomes.keys()].map((key) => [key, true] as const),
      ...Object.entries(handover.outcomes ?? {}).map(([key, ok]) => [key, ok === 1] as const),
    ]),
  };
}

/**
 * Whether two handovers hold the same streaks, expiries and outcomes (in any order): a round whose handover is the
 * one it took over has nothing to leave the next round, so it need not write the lock item again.
 */
export function sameHandover(a: Handover | undefined, b: Handover): boolean {
  const canonical = (part: Record<string, unknown> | undefined) => JSON.stringify(Object.entries(part ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return (
    a !== undefined &&
    canonical(a.streaks) === canonical(b.streaks) &&
    canonical(a.expiries) === canonical(b.expiries) &&
    canonical(a.outcomes) === canonical(b.outcomes)
  );
}
