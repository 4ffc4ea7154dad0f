/** Passive outlier ejection: the caller reports outcomes; instances that keep failing sit out for a while. */
import type { Clock } from './types.js';

/** Options of {@link OutlierEjector}; every field has a default. */
export interface OutlierEjectionOptions {
  /** @default 5 - consecutive failed requests that eject an instance */
  readonly consecutiveFailures?: number;
  /** @default 30_000 - ejection time in ms for the first ejection; the n-th ejection lasts n times as long */
  readonly baseEjectionMs?: number;
  /** @default 300_000 - the longest an ejection lasts, in ms */
  readonly maxEjectionMs?: number;
  /**
   * The largest share of the set that may be ejected at once (rounded down, so one of a single instance never is).
   * A failure past the threshold while at the cap ejects nothing; the instance is ejected by its next failure once
   * there is room.
   * @default 0.5
   */
  readonly maxEjectedShare?: number;
}

/**
 * Counts consecutive failures per instance and ejects an instance after `consecutiveFailures` of them, for
 * `baseEjectionMs × (times ejected)` capped at `maxEjectionMs`. The ejection count is kept while the instance stays
 * in the set, so an instance that keeps failing sits out longer each time. Reports about an ejected instance (requests
 * that were in flight when it was ejected) are ignored, and a returning instance starts with a clean failure count.
 * State is per slot in typed arrays; `track()` carries it over by `instanceId`.
 *
 * The ejector only keeps score; {@link ManagedBalancer} asks it which instances are out and when the next one returns.
 *
 * @example
 * const ejector = new OutlierEjector({ consecutiveFailures: 3 }, Date.now);
 * ejector.track(['a', 'b', 'c']);
 * for (let i = 0; i < 3; i++) ejector.record('a', false); // the third call returns true: 'a' is ejected
 * ejector.isEjected('a'); // true until ejector.nextReturnAt
 */
export class OutlierEjector {
  /** When the earliest ejected instance is due back (ms on the clock), or `Infinity` when none is ejected. */
  nextReturnAt = Number.POSITIVE_INFINITY;

  private readonly threshold: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxShare: number;
  private slots = new Map<string, number>();
  private failures = new Uint32Array(0);
  private ejections = new Uint32Array(0);
  private ejected = new Uint8Array(0);
  private returnAt = new Float64Array(0);
  private ejectedCount = 0;

  constructor(
    options: OutlierEjectionOptions = {},
    private readonly now: Clock = Date.now,
  ) {
    this.threshold = Math.max(1, options.consecutiveFailures ?? 5);
    this.baseMs = options.baseEjectionMs ?? 30_000;
    this.maxMs = options.maxEjectionMs ?? 300_000;
    this.maxShare = options.maxEjectedShare ?? 0.5;
  }

  /** How many instances are ejected now. */
  get ejectedTotal(): number {
    return this.ejectedCount;
  }

  /** Replaces the tracked set; instances that stay keep their failures, ejections and ejection time. */
  track(instanceIds: readonly string[]): void {
    const n = instanceIds.length;
    const slots = new Map<string, number>();
    const failures = new Uint32Array(n);
    const ejections = new Uint32Array(n);
    const ejected = new Uint8Array(n);
    const returnAt = new Float64Array(n);
    let ejectedCount = 0;
    for (let slot = 0; slot < n; slot++) {
      const id = instanceIds[slot]!;
      slots.set(id, slot);
      const previous = this.slots.get(id);
      if (previous === undefined) continue;
      failures[slot] = this.failures[previous]!;
      ejections[slot] = this.ejections[previous]!;
      ejected[slot] = this.ejected[previous]!;
      returnAt[slot] = this.returnAt[previous]!;
      ejectedCount += ejected[slot]!;
    }
    this.slots = slots;
    this.failures = failures;
    this.ejections = ejections;
    this.ejected = ejected;
    this.returnAt = returnAt;
    this.ejectedCount = ejectedCount;
    this.scheduleNextReturn();
  }

  /** Counts one outcome; returns true when it ejected the instance. Unknown and ejected instances are ignored. */
  record(instanceId: string, ok: boolean): boolean {
    const slot = this.slots.get(instanceId);
    if (slot === undefined || this.ejected[slot] === 1) return false;
    if (ok) {
      this.failures[slot] = 0;
      return false;
    }
    const failures = (this.failures[slot] = this.failures[slot]! + 1);
    if (failures < this.threshold || this.ejectedCount + 1 > Math.floor(this.maxShare * this.slots.size)) return false;
    const ejections = (this.ejections[slot] = this.ejections[slot]! + 1);
    this.ejected[slot] = 1;
    this.failures[slot] = 0;
    this.returnAt[slot] = this.now() + Math.min(this.baseMs * ejections, this.maxMs);
    this.ejectedCount++;
    if (this.returnAt[slot]! < this.nextReturnAt) this.nextReturnAt = this.returnAt[slot]!;
    return true;
  }

  /** Whether `instanceId` is ejected now (as of the last {@link returnDue}). */
  isEjected(instanceId: string): boolean {
    const slot = this.slots.get(instanceId);
    return slot !== undefined && this.ejected[slot] === 1;
  }

  /** Lets back every instance whose time is up at `nowMs`; returns true when any came back. */
  returnDue(nowMs: number): boolean {
    if (nowMs < this.nextReturnAt) return false;
    for (let slot = 0; slot < this.ejected.length; slot++) {
      if (this.ejected[slot] === 1 && this.returnAt[slot]! <= nowMs) {
        // Failures were zeroed at ejection and reports since were ignored, so it comes back with a clean count.
        this.ejected[slot] = 0;
        this.ejectedCount--;
      }
    }
    this.scheduleNextReturn();
    return true;
  }

  private scheduleNextReturn(): void {
    let next = Number.POSITIVE_INFINITY;
    for (let slot = 0; slot < this.ejected.length; slot++) {
      if (this.ejected[slot] === 1 && this.returnAt[slot]! < next) next = this.returnAt[slot]!;
    }
    this.nextReturnAt = next;
  }
}
