/**
 * The prober under faults, against a real DynamoDB Local with a scripted probe and a fake clock: a cohort of dead
 * targets, a slow target, expiries spread over several sweeps, the guard's release and its maximum duration, the
 * lock after a restart, the reserve before the deadline, one host with many check paths, and the service counts
 * while leases expire.
 */
import { DynamoDbProberLock } from '../../../lambdas/adapters/dynamodb-prober-store.js';
import { reserveAfter, runRound } from '../../../lambdas/domain/prober-loop.js';
import type { RetryReport, RoundReport } from '../../../lambdas/domain/prober.js';
import type { ProberLock } from '../../../lambdas/domain/prober-ports.js';
import { registerBody } from '@service-registry/contracts';
import { check, OWNER, setup } from './prober-harness.js';

describe('the probe guard judges the whole fleet', () => {
  it('marks a cohort of dead targets critical even when they are probed in rounds of their own, without engaging', async () => {
    // 70 healthy targets, then a cohort of 30 registered a round later of which 18 are dead: 18 % of the fleet.
    // With a 2 s interval and 1 s rounds the two cohorts are probed in alternate rounds, so the rounds that probe
    // the second cohort see 60 % failures: judged per round, the guard engaged and its dead were never marked.
    const t = await setup();
    for (let i = 0; i < 70; i++) {
      await t.register('fleet', `a-${i}`, { port: 6000 + i, ...check({ intervalSeconds: 2 }) });
      t.up.set(6000 + i, true);
    }
    const prober = t.prober();
    const reports: RoundReport[] = [await prober.round()];
    t.advance(1000);
    for (let i = 0; i < 30; i++) {
      await t.register('fleet', `b-${i}`, { port: 7000 + i, ...check({ intervalSeconds: 2 }) });
      t.up.set(7000 + i, i >= 18);
    }
    const criticalAfter = new Map<string, number>();
    for (let round = 1; round <= 8; round++) {
      reports.push(await prober.round());
      for (let i = 0; i < 18; i++)
        if (!criticalAfter.has(`b-${i}`) && (await t.get('fleet', `b-${i}`))!.health === 'critical') criticalAfter.set(`b-${i}`, round);
      t.advance(1000);
    }
    // The cohorts really do alternate...
    expect(reports.map((r) => r.targets)).toEqual([70, 30, 70, 30, 70, 30, 70, 30, 70]);
    // ...and still the guard never engages (18 of 100 targets fail), and every dead one is marked critical at its
    // third failed probe: rounds 1, 3 and 5 after registration.
    expect(reports.every((r) => !r.protection.engaged)).toBe(true);
    expect(reports.at(-1)!.protection).toMatchObject({ failedTargets: 18, probedTargets: 100 });
    expect(criticalAfter.size).toBe(18);
    expect(new Set(criticalAfter.values())).toEqual(new Set([5]));
    expect((await t.summary('fleet'))!.healthy).toBe(82);
  });

  it('records a change of leaseEngaged while the probe guard keeps the guard engaged', async () => {
    const t = await setup();
    for (let i = 0; i < 10; i++) await t.register('probed', `p-${i}`, { port: 5000 + i, ...check() }); // all failing
    for (let i = 0; i < 20; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 5 ? 2 : 600 });
    const prober = t.prober();
    expect((await prober.round()).protection).toMatchObject({ engaged: true, probeEngaged: true, leaseEngaged: false });
    t.advance(2000);
    expect((await prober.round()).protection).toMatchObject({ engaged: true, probeEngaged: true, leaseEngaged: true });
    expect(await t.protectionItem()).toMatchObject({ engaged: true, probeEngaged: true, leaseEngaged: true, atMs: t.clock() });
  });

  it('releases a guard a previous prober process recorded as engaged once the fleet has recovered', async () => {
    const t = await setup();
    for (let i = 0; i < 10; i++) await t.register('probed', `p-${i}`, { port: 5000 + i, ...check() });
    await t.prober().round();
    expect(await t.protectionItem()).toMatchObject({ engaged: true, probeEngaged: true });
    for (let i = 0; i < 10; i++) t.up.set(5000 + i, true);
    t.advance(1000);
    const restarted = t.prober();
    expect((await restarted.round()).protection.engaged).toBe(false);
    expect(await t.protectionItem()).toMatchObject({ engaged: false, probeEngaged: false, leaseEngaged: false, atMs: t.clock() });
  });
});

describe('probe cadence', () => {
  it('probes every target each interval even when one target hits its timeout every round', async () => {
    const t = await setup();
    for (let i = 0; i < 5; i++) {
      await t.register('cadence', `c-${i}`, { port: 8000 + i, ...check({ timeoutSeconds: 1 }) });
      t.up.set(8000 + i, true);
    }
    await t.register('cadence', 'slow', { port: 8005, ...check({ timeoutSeconds: 1 }) });
    t.slow.set(8005, 1000); // every probe of it takes its whole 1 s timeout
    // 48 s of rounds, one invocation a second on the shard's lock, each round taking the slow target's 1 s: one probe
    // per target per round.
    const prober = t.prober();
    const lock = new DynamoDbProberLock(t.doc, t.tableName, 0);
    const start = t.clock();
    let rounds = 0;
    for (let n = 0; n < 48; n++) {
      if (t.clock() < start + n * 1000) t.advance(start + n * 1000 - t.clock());
      const deadline = t.clock() + 60_000;
      const result = await runRound(prober, lock, t.clock, {
        roundIntervalMs: 1000,
        remainingMs: () => deadline - t.clock(),
        owner: `req-${n}`,
        sleep: async (ms) => void t.advance(ms),
      });
      rounds += result.rounds;
    }
    expect(rounds).toBeGreaterThanOrEqual(45);
    for (let port = 8000; port <= 8005; port++) expect(t.probed.filter((p) => p.port === port).length).toBeGreaterThanOrEqual(rounds - 1);
  });
});

describe('the lease guard judges a window', () => {
  /** 100 leased instances; 30 of them stop renewing and expire 2, 3 and 4 s after registration, 10 at a time. */
  async function spreadExpiry(options: { maxLeaseProtectionSeconds?: number } = {}) {
    const t = await setup();
    for (let i = 0; i < 100; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 30 ? 2 + Math.floor(i / 10) : 600 });
    const prober = t.prober({ protection: options });
    return { t, prober };
  }

  it('engages on expiries spread over several sweeps and removes none of them', async () => {
    const { t, prober } = await spreadExpiry();
    const reports: RoundReport[] = [];
    for (let s = 1; s <= 6; s++) {
      t.advance(1000);
      reports.push(await prober.round());
    }
    expect(reports.map((r) => r.protection.leaseEngaged)).toEqual([false, false, true, true, true, true]);
    expect(reports.reduce((n, r) => n + r.expired, 0)).toBe(0);
    for (let i = 0; i < 30; i++) expect(await t.get('leased', `l-${i}`)).toMatchObject({ removal: 'expired' });
    expect(reports.at(-1)!.protection).toMatchObject({ expiredLeases: 30, leasedInstances: 100 });
    expect(await t.protectionItem()).toMatchObject({ engaged: true, leaseEngaged: true, probeEngaged: false });
  });

  it('counts leases it removed within their lease period towards the guard', async () => {
    const t = await setup();
    // 10 leases of 5 s and 8 of 7 s lapse two sweeps apart among 100: neither batch alone is over 15 %.
    for (let i = 0; i < 100; i++) await t.register('window', `w-${i}`, { leaseSeconds: i < 10 ? 5 : i < 18 ? 7 : 600 });
    const prober = t.prober();
    t.advance(5000);
    expect((await prober.round()).protection).toMatchObject({ leaseEngaged: false, expiredLeases: 10 });
    t.advance(1000);
    expect(await prober.round()).toMatchObject({ expired: 10, protection: { leaseEngaged: false } });
    t.advance(1000);
    const second = await prober.round();
    // The 10 removed 2 s ago are still within their 5 s lease period: 18 of 100.
    expect(second.protection).toMatchObject({ leaseEngaged: true, expiredLeases: 18, leasedInstances: 100 });
    t.advance(1000);
    expect((await prober.round()).expired).toBe(0);
  });

  it('releases when the share is back under the threshold and then removes the ones still expired', async () => {
    const { t, prober } = await spreadExpiry();
    for (let s = 1; s <= 4; s++) {
      t.advance(1000);
      await prober.round();
    }
    // 25 of the 30 come back (a heartbeat answers 404, so their agents register again); 5 stay dead: 5 %.
    for (let i = 0; i < 25; i++)
      await t.registry.register(OWNER, { service: 'leased', instanceId: `l-${i}` }, registerBody.parse({ address: '10.0.0.1', port: 80, leaseSeconds: 600 }));
    t.advance(1000);
    const released = await prober.round();
    expect(released.protection).toMatchObject({ engaged: false, leaseEngaged: false, expiredLeases: 5 });
    expect(released.expired).toBe(5);
    expect(await t.protectionItem()).toMatchObject({ engaged: false, leaseEngaged: false });
    for (let i = 25; i < 30; i++) expect(await t.get('leased', `l-${i}`)).toBeUndefined();
    expect(await t.get('leased', 'l-0')).toBeDefined();
    expect(await t.summary('leased')).toMatchObject({ total: 95, healthy: 95 });
  });

  it('lets go after the maximum protection duration, removes the dead and does not engage again for them', async () => {
    const { t, prober } = await spreadExpiry({ maxLeaseProtectionSeconds: 60 });
    t.advance(5000); // all 30 expired at once
    const reports: RoundReport[] = [];
    for (let s = 0; s < 10; s++) {
      reports.push(await prober.round());
      t.advance(10_000);
    }
    const engaged = reports.map((r) => r.protection.leaseEngaged);
    // Engaged at 5 s (the first sweep marks them: 30 %), held for 60 s, let go at 65 s.
    expect(engaged).toEqual([true, true, true, true, true, true, false, false, false, false]);
    expect(reports[6]!.expired).toBe(30);
    expect(await t.summary('leased')).toMatchObject({ total: 70, healthy: 70 });
    expect(await t.protectionItem()).toMatchObject({ leaseEngaged: false, leaseCutoffMs: expect.any(Number) });
  });

  it('still engages for new expiries after letting go at the maximum', async () => {
    const { t, prober } = await spreadExpiry({ maxLeaseProtectionSeconds: 60 });
    t.advance(5000);
    for (let s = 0; s < 8; s++) {
      await prober.round();
      t.advance(10_000);
    }
    expect(await t.get('leased', 'l-0')).toBeUndefined();
    // Of the 70 left, 15 now stop renewing: 21 %.
    for (let i = 30; i < 45; i++) await t.register('leased', `l-${i}`, { leaseSeconds: 2 });
    t.advance(3000);
    expect((await prober.round()).protection.leaseEngaged).toBe(true);
  });
});

describe('the lock after a restart', () => {
  it('lets a restarted prober with the same holder identity take its own stale lock at once', async () => {
    const t = await setup();
    const now = t.clock();
    const dead = new DynamoDbProberLock(t.doc, t.tableName, 0, 'runtime-a');
    expect((await dead.acquire('req-1', now + 65_000, now)).acquired).toBe(true);
    // The process dies without releasing. Its successor (same identity, first invocation) takes over at once.
    const restarted = new DynamoDbProberLock(t.doc, t.tableName, 0, 'runtime-a');
    expect((await restarted.acquire('req-2', now + 65_000, now, true)).acquired).toBe(true);
    // Anyone else still waits for it to run out: another identity, or a later invocation that does not take over.
    expect((await new DynamoDbProberLock(t.doc, t.tableName, 0, 'runtime-b').acquire('req-3', now + 65_000, now, true)).acquired).toBe(false);
    expect((await restarted.acquire('req-4', now + 65_000, now)).acquired).toBe(false);
    // The dead owner's late release changes nothing; the new owner's hands over.
    await dead.release('req-1', { streaks: { 'x/y': [1, 0, 0] } });
    await restarted.release('req-2', { streaks: { 'x/z': [2, 0, 0] } });
    expect(await restarted.acquire('req-5', now + 65_000, now)).toEqual({
      acquired: true,
      handover: { streaks: { 'x/z': [2, 0, 0] }, expiries: {}, outcomes: {} },
    });
  });

  it('never takes over a live lock without a holder identity (AWS)', async () => {
    const t = await setup();
    const now = t.clock();
    expect((await new DynamoDbProberLock(t.doc, t.tableName, 1).acquire('req-1', now + 65_000, now)).acquired).toBe(true);
    expect((await new DynamoDbProberLock(t.doc, t.tableName, 1).acquire('req-2', now + 65_000, now, true)).acquired).toBe(false);
    expect((await new DynamoDbProberLock(t.doc, t.tableName, 1).acquire('req-3', now + 65_000, now + 70_000, true)).acquired).toBe(true);
  });
});

describe('the reserve before the deadline', () => {
  it('grows to 1.5 × the round, so the lock is released with time to spare after a long round and its re-probes', async () => {
    let now = 0;
    const deadline = 60_000;
    let remainingAtRelease = -1;
    const retried: number[] = [];
    const prober = {
      round: async () => {
        now += 15_000; // a slow round, as with thousands of health changes to write
        return {} as RoundReport;
      },
      resume: () => undefined,
      exportHandover: () => ({ streaks: {} }),
      pendingRetry: () => ({ probedAtMs: 0, timeoutMs: 15_000 }), // a suspect left after every re-probe
      retry: async () => {
        retried.push(now);
        now += 15_000; // a slow re-probe
        return {} as RetryReport;
      },
    };
    const lock: ProberLock = {
      acquire: async () => ({ acquired: true }),
      release: async () => void (remainingAtRelease = deadline - now),
    };
    const { rounds } = await runRound(prober, lock, () => now, {
      roundIntervalMs: 60_000,
      remainingMs: () => deadline - now,
      owner: 'o',
      sleep: async (ms) => void (now += ms),
    });
    // Round 0–15 s, re-probes 15–30 and 30–45 s; then 15 s are left, under the 22.5 s reserve, so no further
    // re-probe runs into the deadline.
    expect(rounds).toBe(1);
    expect(retried).toEqual([15_000, 30_000]);
    expect(remainingAtRelease).toBe(15_000);
    expect(reserveAfter(17_600)).toBe(26_400);
    expect(reserveAfter(1_000)).toBe(12_000);
  });
});

describe('probes per endpoint', () => {
  it('probes one address:port at most 8 times a round and still probes each of its check paths', async () => {
    const t = await setup();
    for (let i = 0; i < 300; i++) await t.register('paths', `p-${i}`, { port: 9000, ...check({ path: `/p/${i}` }) });
    for (let i = 0; i < 3; i++) await t.register('other', `o-${i}`, { port: 9001 + i, ...check() });
    const prober = t.prober();
    const perRound: number[] = [];
    for (let round = 0; round < 38; round++) {
      const before = t.probed.length;
      const report = await prober.round();
      perRound.push(t.probed.slice(before).filter((p) => p.port === 9000).length);
      if (round === 0) expect(report).toMatchObject({ targets: 11, deferredTargets: 292 });
      t.advance(1000);
    }
    expect(Math.max(...perRound)).toBe(8);
    expect(new Set(t.probed.filter((p) => p.port === 9000).map((p) => p.path)).size).toBe(300);
    // The other endpoints are not held back.
    expect(t.probed.filter((p) => p.port === 9001)).toHaveLength(38);
  });
});

describe('service counts', () => {
  it('leave out expired leases within one round, also while the lease guard keeps them, without counting twice', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('counted', `l-${i}`, { leaseSeconds: i < 4 ? 2 : 600 });
    const prober = t.prober();
    t.advance(2000);
    const engaged = await prober.round();
    expect(engaged.protection.leaseEngaged).toBe(true);
    expect(await t.get('counted', 'l-0')).toBeDefined();
    expect(await t.summary('counted')).toMatchObject({ total: 20, healthy: 16 });
    // One comes back by registering again over its kept item; the guard then lets go (3 of 20) and the rest go.
    await t.registry.register(OWNER, { service: 'counted', instanceId: 'l-0' }, registerBody.parse({ address: '10.0.0.1', port: 80, leaseSeconds: 600 }));
    expect(await t.summary('counted')).toMatchObject({ total: 20, healthy: 17 });
    t.advance(1000);
    expect((await prober.round()).expired).toBe(3);
    expect(await t.summary('counted')).toMatchObject({ total: 17, healthy: 17 });
    // The recount agrees: nothing to repair.
    for (let r = 0; r < 2; r++) {
      t.advance(1000);
      t.writes.length = 0;
      await prober.round();
      expect(t.writes).toEqual([]);
    }
  });
});
