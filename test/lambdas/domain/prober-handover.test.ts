/**
 * In AWS the prober (one round per invocation, from the schedule and the round queue) alternates between two
 * execution environments, so whatever one invocation learnt must reach the next through the lock item, and the
 * guard's recorded state must be read again by each invocation. Two `Prober` objects (two environments) alternate invocations on one table.
 */
import { DynamoDbProberLock } from '../../../lambdas/adapters/dynamodb-prober-store.js';
import type { Prober, RoundReport } from '../../../lambdas/domain/prober.js';
import { runRound } from '../../../lambdas/domain/prober-loop.js';
import { registerBody } from '@service-registry/contracts';
import { check, OWNER, setup } from './prober-harness.js';

/**
 * Two environments, A and B, taking turns on one lock item; each invocation runs one round (1 s rounds, 13 s left)
 * and the next comes a round interval later.
 */
async function environments() {
  const t = await setup();
  const a = t.prober();
  const b = t.prober();
  let invocation = 0;
  const invoke = async (prober: Prober): Promise<RoundReport> => {
    const deadline = t.clock() + 13_000;
    const reports: RoundReport[] = [];
    const result = await runRound(prober, new DynamoDbProberLock(t.doc, t.tableName, 0), t.clock, {
      roundIntervalMs: 1000,
      remainingMs: () => deadline - t.clock(),
      owner: `req-${++invocation}`,
      onRound: (r) => reports.push(r),
      sleep: async (ms) => void t.advance(ms),
    });
    expect(result).toEqual({ rounds: 1, locked: false });
    t.advance(1000);
    return reports[0]!;
  };
  return { t, a, b, invoke };
}

const reRegister = (t: Awaited<ReturnType<typeof setup>>, id: string, leaseSeconds: number) =>
  t.registry.register(OWNER, { service: 'leased', instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80, leaseSeconds }));

describe('a prober alternating between two execution environments', () => {
  it('judges against the recorded guard state, not the one its environment remembers', async () => {
    const { t, a, b, invoke } = await environments();
    for (let i = 0; i < 100; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 20 ? 2 : 600 });
    t.advance(3000);
    expect((await invoke(a)).protection.leaseEngaged).toBe(true); // 20 % lapsed: A engages
    for (let i = 0; i < 20; i++) await reRegister(t, `l-${i}`, 600); // they come back
    expect((await invoke(b)).protection.leaseEngaged).toBe(false); // B releases
    expect(await t.protectionItem()).toMatchObject({ leaseEngaged: false });
    // Later, 20 others lapse. A, which last saw the guard engaged, must record the new engagement (it used to
    // write nothing, leaving the item saying released, and to carry on from its old `leaseSinceMs`).
    for (let i = 20; i < 40; i++) await reRegister(t, `l-${i}`, 2);
    t.advance(3000);
    const engagedAt = t.clock();
    expect((await invoke(a)).protection).toMatchObject({ leaseEngaged: true, leaseSinceMs: engagedAt });
    expect(await t.protectionItem()).toMatchObject({ engaged: true, leaseEngaged: true, leaseSinceMs: engagedAt });
  });

  it('counts the leases the other environment removed towards the lease guard', async () => {
    const { t, a, b, invoke } = await environments();
    // 10 leases of 5 s and 8 of 7 s lapse two rounds apart among 100: neither batch alone is over 15 %.
    for (let i = 0; i < 100; i++) await t.register('leased', `w-${i}`, { leaseSeconds: i < 10 ? 5 : i < 18 ? 7 : 600 });
    t.advance(5000);
    expect((await invoke(a)).protection).toMatchObject({ leaseEngaged: false, expiredLeases: 10 }); // A marks 10
    expect(await invoke(b)).toMatchObject({ expired: 10 }); // B removes them
    // A's own window never saw the removals: without B's handover it judged 8 of 90 and removed the 8 next.
    const judged = await invoke(a);
    expect(judged.protection).toMatchObject({ leaseEngaged: true, expiredLeases: 18, leasedInstances: 100 });
    expect((await invoke(b)).expired).toBe(0);
  });

  it('never counts a failure streak its environment remembers from before the other one saw the target pass', async () => {
    const { t, a, b, invoke } = await environments();
    await t.register('probed', 'x', { port: 4100, ...check({ healthyThreshold: 1, unhealthyThreshold: 3 }) });
    // Outcomes, alternating A, B, A, B, A: ok, fail, fail, ok, fail — never three failures in a row. A remembers
    // two failures from its third round; B then saw the target pass and handed nothing over (no streak pending).
    const outcomes = [true, false, false, true, false];
    for (const [n, ok] of outcomes.entries()) {
      t.up.set(4100, ok);
      await invoke(n % 2 === 0 ? a : b);
      t.advance(1000);
    }
    expect((await t.get('probed', 'x'))!.health).toBe('passing');
    t.up.set(4100, false);
    await invoke(b);
    // A's fifth round used to count a third failure on top of the two it remembered, missing B's success.
    expect((await t.get('probed', 'x'))!.health).toBe('passing');
  });
});

describe('the handover', () => {
  it('stays far below the 400 KB item limit with the longest ids, and the lock item takes it', async () => {
    const t = await setup();
    const prober = t.prober();
    const id = (i: number) => `${'s'.repeat(63)}/${String(i).padStart(128, 'i')}`;
    const streaks: Record<string, [number, number, number]> = {};
    const expiries: Record<string, [number, number]> = {};
    const outcomes: Record<string, 0 | 1> = {};
    for (let i = 0; i < 10_000; i++) {
      streaks[id(i)] = [1, 0, 1_800_000_000_000];
      expiries[id(i)] = [1_800_000_000_000 + i, 1_800_000_030_000 + i];
      outcomes[`target-${String(i).padStart(9, '0')}`] = (i % 2) as 0 | 1;
    }
    prober.resume({ streaks, expiries, outcomes });
    const handover = prober.exportHandover();
    expect(JSON.stringify(handover).length).toBeLessThan(320_000);
    // Failures first, and the newest expiries first: what the guards need most.
    expect(Object.values(handover.outcomes!).every((ok) => ok === 0)).toBe(true);
    expect(Object.keys(handover.expiries!)).toContain(id(9_999));
    const lock = new DynamoDbProberLock(t.doc, t.tableName, 0);
    expect((await lock.acquire('o', t.clock() + 1000, t.clock())).acquired).toBe(true);
    await lock.release('o', handover);
    expect((await lock.acquire('p', t.clock() + 1000, t.clock())).handover).toEqual(handover);
  });
});
