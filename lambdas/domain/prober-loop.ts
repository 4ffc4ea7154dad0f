/**
 * How prober rounds run. {@link runRound} is what the prober function does: one round per invocation, billed only
 * for probe time (see lambdas/functions/prober.ts for the schedule and the queue that invoke it). Each invocation
 * takes the shard's lock (which also refuses a round too soon after the last one: a duplicated or late message
 * never probes twice), continues from the handover the previous round left in it (streaks, the lease guard's
 * window, failed probe outcomes; the guard's recorded state is read again), runs one round, re-probes the targets
 * whose latest probe failed every `retryIntervalMs` while any is left and the next round has not come, and leaves a
 * handover for the next round, which may run in another execution environment. No AWS imports.
 */
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';

export { proberTimeoutSeconds } from '../../packages/contracts/src/defaults.js';
import { DUE_SLACK_MS, type Prober, type RetryReport, type RoundReport } from './prober.js';
import { sameHandover } from './prober-handover.js';
import type { ProberLock } from './prober-ports.js';
import type { Telemetry } from './telemetry.js';

/**
 * The least time left in which another re-probe may start after the round: room for the slowest probe plus the
 * writes after it, and for the `finally` that releases the lock and hands the streaks over. Grows to 1.5 × the
 * round's duration (a 17.6 s round was measured at 10,000 instances turning passing).
 */
const MIN_RESERVE_MS = 12_000;

/** The reserve before starting another re-probe, after a round that took `lastRoundMs`. */
export function reserveAfter(lastRoundMs: number): number {
  return Math.max(MIN_RESERVE_MS, Math.ceil(1.5 * lastRoundMs));
}

/** Options of {@link runRound}. */
export interface RoundOptions {
  /** Time between rounds: the least time between the starts of two rounds (less {@link roundSlackMs}). */
  readonly roundIntervalMs: number;
  /**
   * After the round, re-probe the targets whose latest probe failed (and that are not yet critical) this long after
   * their last probe started, until they pass or turn critical, while the next round has not come (see
   * {@link mayRetry}). 0: none.
   * @default 1000 (`DEFAULTS.prober.retryIntervalSeconds`)
   */
  readonly retryIntervalMs?: number;
  /** Time left in this invocation. */
  readonly remainingMs: () => number;
  /** Owner id of the lock (the invocation's request id). */
  readonly owner: string;
  /**
   * Take over a lock held under this process's own holder identity at once (see `ProberLock.acquire`). Only the
   * first invocation of a fresh process sets it: its predecessor with that identity is dead. @default false
   */
  readonly takeOverOwnHolder?: boolean;
  /**
   * Longest wait for the lock: the previous round may still be re-probing a suspect, or have started less than a
   * round interval ago (a message delivered a little early). A duplicate gives up after it, having probed nothing.
   * @default half the round interval
   */
  readonly lockWaitMs?: number;
  /**
   * Take the lock only until the next round may start (the round interval less {@link roundSlackMs}) and, when the
   * handover is the one taken over (a steady fleet), let it run out instead of releasing it: one write a round
   * instead of two. Needs `lock.extend`: a round still running halfway through that time first extends the lock to
   * the invocation's deadline, and releases it at the end. @default false
   */
  readonly shortHold?: boolean;
  /** Runs `fn` after `ms` of real time; returns its cancel (the short hold's extension). @default setTimeout */
  readonly timer?: (ms: number, fn: () => void) => () => void;
  readonly onRound?: (report: RoundReport) => void;
  readonly onRetry?: (report: RetryReport) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * How much sooner than `roundIntervalMs` after the last round's start another may start: the same slack a target is
 * due with (`DUE_SLACK_MS`, at most a quarter of the interval), so a round the lock lets through always finds the
 * targets of the round interval due, while a queue delivering a little early or a schedule firing a little late
 * costs no round.
 */
export function roundSlackMs(roundIntervalMs: number): number {
  return Math.min(DUE_SLACK_MS, roundIntervalMs / 4);
}

/**
 * Whether a re-probe due at `dueAtMs` may start after a round of one invocation when the next round (another
 * invocation) comes at `nextRoundAtMs` and waits for the lock up to `lockWaitMs`: it starts before the next round
 * with a retry interval to spare (else the round probes the target anyway), and even at its longest timeout delays
 * the next round by no more than that round waits. A steady fleet has no suspects, so none of this costs anything.
 */
export function mayRetry(dueAtMs: number, timeoutMs: number, nextRoundAtMs: number, retryIntervalMs: number, lockWaitMs: number): boolean {
  return dueAtMs + retryIntervalMs <= nextRoundAtMs && dueAtMs + timeoutMs <= nextRoundAtMs + lockWaitMs;
}

/**
 * One round of one invocation: takes the shard's lock (waiting up to `lockWaitMs` for the previous round to let go
 * or for its interval to pass), resumes the handover, runs the round, re-probes the suspects until none is left or
 * the next round comes, and releases the lock with a new handover. Returns `{ rounds: 0, locked: true }` when the
 * lock stayed taken (another invocation is running, or ran a round less than an interval ago): a duplicated or
 * early message probes nothing.
 *
 * @example
 * await runRound(prober, lock, Date.now, { roundIntervalMs: 10_000, remainingMs: () => context.getRemainingTimeInMillis(), owner: context.awsRequestId });
 */
export async function runRound(
  prober: Pick<Prober, 'round' | 'resume' | 'exportHandover'> & Partial<Pick<Prober, 'pendingRetry' | 'retry'>>,
  lock: ProberLock,
  clock: () => number,
  options: RoundOptions,
): Promise<{ rounds: number; locked: boolean }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const intervalMs = options.roundIntervalMs;
  const retryIntervalMs = options.retryIntervalMs ?? DEFAULTS.prober.retryIntervalSeconds * 1000;
  const lockWaitMs = options.lockWaitMs ?? intervalMs / 2;
  const giveUpAt = clock() + lockWaitMs;
  const extend = options.shortHold ? lock.extend?.bind(lock) : undefined;
  const holdMs = intervalMs - roundSlackMs(intervalMs);
  const deadline = () => clock() + options.remainingMs() + 5_000;
  let handover: Awaited<ReturnType<ProberLock['acquire']>>['handover'];
  for (;;) {
    if (options.remainingMs() <= 0) return { rounds: 0, locked: true };
    const now = clock();
    const result = await lock.acquire(options.owner, extend ? now + holdMs : deadline(), now, options.takeOverOwnHolder ?? false, {
      notBeforeMs: now - intervalMs + roundSlackMs(intervalMs),
    });
    if (result.acquired) {
      handover = result.handover;
      break;
    }
    if (clock() >= giveUpAt) return { rounds: 0, locked: true };
    await sleep(Math.min(250, Math.max(10, intervalMs / 20), giveUpAt - clock()));
  }
  // The short hold runs out when the next round may start; a round still running halfway there keeps the lock.
  let extended: Promise<boolean> | undefined;
  const timer = options.timer ?? ((ms: number, fn: () => void) => clearTimeout.bind(undefined, setTimeout(fn, ms)));
  const cancel = extend ? timer(holdMs / 2, () => void (extended = extend(options.owner, deadline()))) : () => undefined;
  try {
    prober.resume(handover);
    const started = clock();
    const report = await prober.round();
    options.onRound?.(report);
    const reserveMs = reserveAfter(clock() - started);
    const nap = async (ms: number) => {
      const until = clock() + ms;
      while (clock() < until && options.remainingMs() > reserveMs) await sleep(Math.min(250, until - clock()));
    };
    const nextRoundAt = started + intervalMs;
    await retrySuspects(
      prober,
      clock,
      retryIntervalMs,
      (dueAt, timeoutMs) => mayRetry(dueAt, timeoutMs, nextRoundAt, retryIntervalMs, lockWaitMs),
      nap,
      () => options.remainingMs() > reserveMs,
      options.onRetry,
    );
  } finally {
    cancel();
    // An extension in flight lands before the release (a failed one leaves the lock to run out at the deadline).
    const kept = extended ? await extended.catch(() => true) : false;
    const next = prober.exportHandover();
    if (!extend || kept || !sameHandover(handover, next)) await lock.release(options.owner, next);
  }
  return { rounds: 1, locked: false };
}

/** Re-probes the suspects every `retryIntervalMs` while `may(dueAt, timeoutMs)` lets the next one start. */
async function retrySuspects(
  prober: Partial<Pick<Prober, 'pendingRetry' | 'retry'>>,
  clock: () => number,
  retryIntervalMs: number,
  may: (dueAtMs: number, timeoutMs: number) => boolean,
  nap: (ms: number) => Promise<void>,
  timeLeft: () => boolean,
  onRetry: ((report: RetryReport) => void) | undefined,
): Promise<void> {
  if (retryIntervalMs <= 0 || !prober.pendingRetry || !prober.retry) return;
  for (let pending = prober.pendingRetry(); pending; pending = prober.pendingRetry()) {
    const dueAt = Math.max(pending.probedAtMs + retryIntervalMs, clock());
    if (!may(dueAt, pending.timeoutMs)) return;
    await nap(dueAt - clock());
    if (!timeLeft()) return;
    const report = await prober.retry();
    onRetry?.(report);
  }
}

/** How often the schedule invokes the prober (an EventBridge rate of one minute, the shortest it has). */
export const SCHEDULE_PERIOD_MS = 60_000;

/**
 * The delays of the rounds a scheduled invocation leaves in the queue: one every `roundIntervalMs` after its own
 * round, while still within the schedule's period (10 s rounds: 10, 20, 30, 40 and 50 s; rounds of a minute or
 * more: none, every scheduled invocation is a round). The next scheduled invocation carries on; a round whose
 * message comes a little early waits (see `runRound`), a duplicated one finds the lock taken.
 *
 * @example
 * laterRounds(10_000); // => [10_000, 20_000, 30_000, 40_000, 50_000]
 */
export function laterRounds(roundIntervalMs: number, periodMs = SCHEDULE_PERIOD_MS): number[] {
  const delays: number[] = [];
  for (let delay = roundIntervalMs; delay <= periodMs - roundIntervalMs / 2; delay += roundIntervalMs) delays.push(delay);
  return delays;
}

/**
 * Reports one round and flushes (each round's figures leave at once, before its re-probes).
 * The gauges (`Instances`, `ProtectionEngaged`) carry no service label here: CloudWatch gets fleet totals per
 * status/health and the shard's guard per kind; the local `/metrics` computes them per service when scraped.
 *
 * @example
 * runRound(prober, lock, Date.now, { ...options, onRound: (round) => reportRound(telemetry, round) });
 */
export function reportRound(telemetry: Telemetry, round: RoundReport): void {
  telemetry.observe('ProbeRoundDuration', round.durationMs);
  telemetry.count('ProbeOutcomes', { outcome: 'passed' }, round.targets - round.failedTargets);
  telemetry.count('ProbeOutcomes', { outcome: 'failed' }, round.failedTargets);
  telemetry.count('ProbeOutcomes', { outcome: 'deferred' }, round.deferredTargets);
  telemetry.count('HealthTransitions', {}, round.transitions);
  telemetry.count('InstancesExpired', {}, round.expired);
  telemetry.count('InstancesRemovedCritical', {}, round.removedCritical);
  telemetry.count('ProberWrites', {}, round.writes);
  telemetry.observe('ProtectionEngaged', round.protection.probeEngaged ? 1 : 0, { kind: 'probe' });
  telemetry.observe('ProtectionEngaged', round.protection.leaseEngaged ? 1 : 0, { kind: 'lease' });
  for (const { status, health, count } of round.byState) telemetry.observe('Instances', count, { status, health });
  telemetry.flush();
}

/**
 * Reports one re-probe of the suspects with the round's counters (probe outcomes, transitions, writes) and flushes;
 * without failures there are none, so a steady fleet adds nothing.
 */
export function reportRetry(telemetry: Telemetry, retry: RetryReport): void {
  telemetry.count('ProbeOutcomes', { outcome: 'passed' }, retry.targets - retry.failedTargets);
  telemetry.count('ProbeOutcomes', { outcome: 'failed' }, retry.failedTargets);
  telemetry.count('HealthTransitions', {}, retry.transitions);
  telemetry.count('ProberWrites', {}, retry.writes);
  telemetry.flush();
}
