/**
 * The loop of one prober invocation: take the shard's lock, continue from the handover the previous invocation
 * left in it (streaks, the lease guard's window, probe outcomes; and the guard's recorded state is read again), run
 * rounds every `roundIntervalMs` until shortly before the deadline — between them, re-probe the targets whose
 * latest probe failed every `retryIntervalMs` — and leave a handover for the next invocation, which may run in
 * another execution environment. No AWS imports.
 */
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';
import type { Prober, RetryReport, RoundReport } from './prober.js';
import type { ProberLock } from './prober-ports.js';
import type { Telemetry } from './telemetry.js';

export interface RunOptions {
  readonly roundIntervalMs: number;
  /**
   * Between rounds, re-probe the targets whose latest probe failed (and that are not yet critical) this long after
   * their last probe started, until they pass or turn critical; a re-probe that could not end before the next round
   * (its longest timeout) waits for the round. 0: none.
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
  readonly onRound?: (report: RoundReport) => void;
  readonly onRetry?: (report: RetryReport) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The least time left in which another round may start: room for the slowest probe plus the writes after it, and
 * for the `finally` that releases the lock and hands the streaks over. Grows to 1.5 × the last round's duration
 * (a 17.6 s round was measured at 10,000 instances turning passing).
 */
export const MIN_RESERVE_MS = 12_000;

/** The reserve before starting another round, after a round that took `lastRoundMs`. */
export function reserveAfter(lastRoundMs: number): number {
  return Math.max(MIN_RESERVE_MS, Math.ceil(1.5 * lastRoundMs));
}

/**
 * Runs rounds every `roundIntervalMs` until shortly before the invocation's deadline, with the suspects' re-probes
 * between them. Rounds and re-probes never overlap (they run one after another); overlapping invocations never
 * double-probe, because each holds the shard's lock for its whole run and the next waits for it.
 */
export async function runRounds(
  prober: Pick<Prober, 'round' | 'resume' | 'exportHandover'> & Partial<Pick<Prober, 'pendingRetry' | 'retry'>>,
  lock: ProberLock,
  clock: () => number,
  options: RunOptions,
): Promise<{ rounds: number; locked: boolean }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retryIntervalMs = options.retryIntervalMs ?? DEFAULTS.prober.retryIntervalSeconds * 1000;
  let reserveMs = MIN_RESERVE_MS;
  const nap = async (ms: number) => {
    const until = clock() + ms;
    while (clock() < until && options.remainingMs() > reserveMs) await sleep(Math.min(250, until - clock()));
  };
  /** Re-probes the suspects every `retryIntervalMs` while one re-probe still ends before `nextRoundAt`. */
  const retryUntil = async (nextRoundAt: number) => {
    if (retryIntervalMs <= 0 || !prober.pendingRetry || !prober.retry) return;
    for (let pending = prober.pendingRetry(); pending; pending = prober.pendingRetry()) {
      const dueAt = Math.max(pending.probedAtMs + retryIntervalMs, clock());
      if (dueAt + pending.timeoutMs > nextRoundAt) return;
      await nap(dueAt - clock());
      if (options.remainingMs() <= reserveMs) return;
      const report = await prober.retry();
      options.onRetry?.(report);
    }
  };
  let acquired = false;
  while (options.remainingMs() > reserveMs) {
    const result = await lock.acquire(options.owner, clock() + options.remainingMs() + 5_000, clock(), options.takeOverOwnHolder ?? false);
    if (result.acquired) {
      prober.resume(result.handover);
      acquired = true;
      break;
    }
    await nap(1000);
  }
  if (!acquired) return { rounds: 0, locked: true };
  let rounds = 0;
  try {
    while (options.remainingMs() > reserveMs) {
      const started = clock();
      const report = await prober.round();
      rounds++;
      options.onRound?.(report);
      reserveMs = reserveAfter(clock() - started);
      await retryUntil(started + options.roundIntervalMs);
      await nap(options.roundIntervalMs - (clock() - started));
    }
  } finally {
    await lock.release(options.owner, prober.exportHandover());
  }
  return { rounds, locked: false };
}

/**
 * Reports one round and flushes (an invocation runs rounds for about a minute; each round's figures leave at once).
 * The gauges (`Instances`, `ProtectionEngaged`) carry no service label here: CloudWatch gets fleet totals per
 * status/health and the shard's guard per kind; the local `/metrics` computes them per service when scraped.
 *
 * @example
 * runRounds(prober, lock, Date.now, { ...options, onRound: (round) => reportRound(telemetry, round) });
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
