/**
 * The prober's pure pieces, without a table: which due targets a round probes, what fits in the handover, and the
 * guard state a round records.
 */
import { bounded, groupBy } from '../../../lambdas/domain/prober-collections.js';
import { engagementChanged, guardAfterRound } from '../../../lambdas/domain/prober-guard.js';
import type { ProbeTarget } from '../../../lambdas/domain/prober-ports.js';
import { capPerEndpoint } from '../../../lambdas/domain/prober-targets.js';
import type { ProtectionState } from '../../../lambdas/domain/protection.js';

const target = (port: number, path: string): ProbeTarget => ({ type: 'http', tls: false, address: '10.0.0.1', port, path, timeoutSeconds: 2 });
const counts = { failedTargets: 0, probedTargets: 0, expiredLeases: 0, leasedInstances: 0 };
const calm: ProtectionState = { engaged: false, probeEngaged: false, leaseEngaged: false, ...counts, atMs: 1 };

describe('the per-endpoint cap', () => {
  it('probes the least recently probed paths of one address and port first, never-probed before all', () => {
    const due = [
      { target: target(80, '/a'), lastProbedAtMs: 300 },
      { target: target(80, '/b'), lastProbedAtMs: -Infinity },
      { target: target(80, '/c'), lastProbedAtMs: 100 },
      { target: target(81, '/d'), lastProbedAtMs: 900 },
    ];
    const { selected, deferred } = capPerEndpoint(due, 2);
    expect(selected.map((e) => e.target.path)).toEqual(['/b', '/c', '/d']);
    expect(deferred).toBe(1);
  });
});

describe('the handover budget', () => {
  it('stops taking entries at the first one whose JSON would pass the budget', () => {
    expect(
      bounded(
        [
          ['a', 1],
          ['b', 2],
        ],
        12,
      ),
    ).toEqual({ a: 1 });
    expect(
      bounded(
        [
          ['a', 1],
          ['b', 2],
        ],
        14,
      ),
    ).toEqual({ a: 1, b: 2 });
  });

  it('takes at most `max` entries however much room is left', () => {
    expect(
      Object.keys(
        bounded(
          [
            ['a', 1],
            ['b', 2],
            ['c', 3],
          ],
          1000,
          2,
        ),
      ),
    ).toEqual(['a', 'b']);
  });
});

describe('grouping', () => {
  it('keeps keys in first-seen order and items in their order', () => {
    expect([...groupBy(['a1', 'b1', 'a2'], (s) => s[0])]).toEqual([
      ['a', ['a1', 'a2']],
      ['b', ['b1']],
    ]);
  });
});

describe('the guard state a round records', () => {
  it('writes nothing when nothing engaged and nothing was ever recorded', () => {
    expect(guardAfterRound(undefined, false, { engaged: false, affected: 0, population: 0 }, counts, 5)).toMatchObject({
      changed: false,
      state: { engaged: false, atMs: 5 },
    });
  });

  it('keeps the time of the last change while the state stays the same', () => {
    expect(guardAfterRound(calm, false, { engaged: false, affected: 0, population: 0 }, counts, 5)).toMatchObject({ changed: false, state: { atMs: 1 } });
  });

  it('records a probe guard that engages, at the round time', () => {
    expect(guardAfterRound(calm, true, { engaged: false, affected: 0, population: 0 }, counts, 5)).toMatchObject({
      changed: true,
      state: { engaged: true, probeEngaged: true, atMs: 5 },
    });
  });

  it('records a new lease cutoff even though no guard is engaged', () => {
    expect(guardAfterRound(calm, false, { engaged: false, affected: 0, population: 0, cutoffMs: 4 }, counts, 5)).toMatchObject({
      changed: true,
      state: { leaseCutoffMs: 4 },
    });
  });

  it('logs a change of engagement against the state at the round start, not a moved cutoff', () => {
    expect(engagementChanged(calm, { ...calm, engaged: true, leaseEngaged: true })).toBe(true);
    expect(engagementChanged(calm, { ...calm, leaseCutoffMs: 4 })).toBe(false);
    expect(engagementChanged(undefined, calm)).toBe(false);
  });
});
