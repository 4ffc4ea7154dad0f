/**
 * The loop of one prober invocation: take the shard's lock, run rounds every `roundIntervalMs` until shortly
 * before the deadline, hand the streaks in flight to the next invocation through the lock. No AWS imports.
 */
import type { Prober, RoundReport } from './prober.js';
import type { ProberLock } from './prober-ports.js';

export interface RunOptions {
  readonly roundIntervalMs: number;
  /** Time left in this invocation. */
  readonly remainingMs: () => number;
  /** Owner id of the lock (the invocation's request id). */
  readonly owner: string;
  readonly onRound?: (report: RoundReport) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs rounds every `roundIntervalMs` until shortly before the invocation's deadline. Rounds never overlap (they
 * run one after another); overlapping invocations never double-probe, because each holds the shard's lock for its
 * whole run and the next waits for it.
 */
export async function runRounds(prober: Prober, lock: ProberLock, clock: () => number, options: RunOptions): Promise<{ rounds: number; locked: boolean }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Leave room for the slowest probe plus the writes after it.
  const reserveMs = 12_000;
  const nap = async (ms: number) => {
    const until = clock() + ms;
    while (clock() < until && options.remainingMs() > reserveMs) await sleep(Math.min(250, until - clock()));
  };
  let acquired = false;
  while (options.remainingMs() > reserveMs) {
    const result = await lock.acquire(options.owner, clock() + options.remainingMs() + 5_000, clock());
    if (result.acquired) {
      prober.importStreaks(result.handover);
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
      await nap(options.roundIntervalMs - (clock() - started));
    }
  } finally {
    await lock.release(options.owner, prober.exportStreaks());
  }
  return { rounds, locked: false };
}
