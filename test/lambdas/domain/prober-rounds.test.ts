/**
 * Prober rounds against a real DynamoDB Local, with a scripted probe and a fake clock: thresholds, write counts,
 * the sweeper, removal of long-critical instances and the mass-failure guard.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_HANDOVER } from '../../../lambdas/domain/prober-handover.js';
import { protectionItemKey } from '../../../lambdas/table.js';
import { check, setup } from './prober-harness.js';

describe('thresholds', () => {
  it('marks critical exactly at the third consecutive failure and passing at the second success', async () => {
    const t = await setup();
    await t.register('web', 'a', { port: 1001, ...check() });
    const prober = t.prober();
    const health = async () => (await t.get('web', 'a'))!.health;
    t.up.set(1001, true);
    await prober.round();
    expect(await health()).toBe('unknown');
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('passing');
    t.up.set(1001, false);
    for (const expected of ['passing', 'passing', 'critical']) {
      t.advance(1000);
      await prober.round();
      expect(await health()).toBe(expected);
    }
    expect((await t.summary('web'))!.healthy).toBe(0);
    // Flapping: a success resets the failure streak, so fail-ok-fail never reaches a threshold.
    t.up.set(1001, true);
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('critical');
    t.up.set(1001, false);
    t.advance(1000);
    await prober.round();
    t.up.set(1001, true);
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('critical');
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('passing');
    expect((await t.summary('web'))!.healthy).toBe(1);
  });

  it('bumps the revision on a change of health and writes nothing in a round that changes nothing', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('steady', `s-${i}`, { port: 2000 + i, ...check() });
    for (let i = 0; i < 20; i++) t.up.set(2000 + i, true);
    const prober = t.prober();
    await prober.round();
    t.advance(1000);
    const before = (await t.get('steady', 's-0'))!.revision;
    await prober.round();
    expect((await t.get('steady', 's-0'))!.revision).toBe(before + 1);
    for (let round = 0; round < 3; round++) {
      t.advance(1000);
      t.writes.length = 0;
      const report = await prober.round();
      expect(report.targets).toBe(20);
      expect(report.writes).toBe(0);
      expect(t.writes).toEqual([]);
    }
  });

  it('probes one target registered many times once per round', async () => {
    const t = await setup();
    for (let i = 0; i < 5; i++) await t.register('dup', `d-${i}`, { port: 3000, ...check() });
    t.up.set(3000, true);
    const report = await t.prober().round();
    expect(report.targets).toBe(1);
    expect(t.probed.filter((p) => p.port === 3000)).toHaveLength(1);
  });

  it('does not probe an instance before its interval has passed', async () => {
    const t = await setup();
    await t.register('slow', 'x', { port: 3100, ...check({ intervalSeconds: 5 }) });
    t.up.set(3100, true);
    const prober = t.prober();
    expect((await prober.round()).targets).toBe(1);
    t.advance(1000);
    expect((await prober.round()).targets).toBe(0);
    t.advance(4000);
    expect((await prober.round()).targets).toBe(1);
  });

  it('hands streaks to the next invocation so failures spanning invocations still count', async () => {
    const t = await setup();
    await t.register('handover', 'h', { port: 3200, ...check() });
    t.up.set(3200, true);
    const first = t.prober();
    await first.round();
    t.advance(1000);
    await first.round();
    t.up.set(3200, false);
    t.advance(1000);
    await first.round();
    t.advance(1000);
    await first.round();
    const second = t.prober();
    second.resume(first.exportHandover());
    t.advance(1000);
    await second.round();
    expect((await t.get('handover', 'h'))!.health).toBe('critical');
  });
});

describe('streak handover', () => {
  it('hands over at most MAX_HANDOVER streaks, so the lock item stays small', async () => {
    const t = await setup();
    const prober = t.prober();
    const many: Record<string, [number, number, number]> = {};
    for (let i = 0; i < MAX_HANDOVER + 10; i++) many[`s/i-${i}`] = [1, 0, 0];
    prober.resume({ streaks: many });
    expect(Object.keys(prober.exportHandover().streaks)).toHaveLength(MAX_HANDOVER);
  });
});

describe('the sweeper', () => {
  it('marks an expired lease in the first round that sees it and removes it in the next, fixing the counts', async () => {
    const t = await setup();
    await t.register('leases', 'short', { leaseSeconds: 2 });
    await t.register('leases', 'long', { leaseSeconds: 60 });
    const prober = t.prober();
    await prober.round();
    expect(await t.get('leases', 'short')).toBeDefined();
    t.advance(2000);
    const marking = await prober.round();
    expect(marking).toMatchObject({ expiredMarked: 1, expired: 0 });
    expect(await t.get('leases', 'short')).toMatchObject({ removal: 'expired' });
    expect(await t.summary('leases')).toMatchObject({ total: 2, healthy: 1 });
    t.advance(1000);
    const report = await prober.round();
    expect(report.expired).toBe(1);
    expect(await t.get('leases', 'short')).toBeUndefined();
    expect(await t.get('leases', 'long')).toBeDefined();
    expect(await t.summary('leases')).toMatchObject({ total: 1, healthy: 1 });
  });

  it('removes a probe-driven instance that stays critical for deregisterCriticalAfterSeconds', async () => {
    const t = await setup();
    await t.register('crit', 'c', { port: 4000, ...check({ deregisterCriticalAfterSeconds: 60 }) });
    const prober = t.prober();
    for (let i = 0; i < 3; i++) {
      await prober.round();
      t.advance(1000);
    }
    expect((await t.get('crit', 'c'))!.health).toBe('critical');
    t.advance(58_000);
    await prober.round();
    expect(await t.get('crit', 'c')).toBeDefined();
    t.advance(2000);
    const report = await prober.round();
    expect(report.removedCritical).toBe(1);
    expect(await t.get('crit', 'c')).toBeUndefined();
    expect(await t.summary('crit')).toMatchObject({ total: 0, healthy: 0 });
  });

  it('repairs a counter that disagrees with a recount two rounds running', async () => {
    const t = await setup();
    await t.register('drift', 'a', { leaseSeconds: 60 });
    await t.store.adjustSummary('drift', { total: 5, healthy: 2 });
    const prober = t.prober();
    await prober.round();
    expect(await t.summary('drift')).toMatchObject({ total: 6, healthy: 3 });
    await prober.round();
    expect(await t.summary('drift')).toMatchObject({ total: 1, healthy: 1 });
  });
});

describe('the mass-failure guard', () => {
  const protection = { probeFailureShare: 0.5, leaseExpiryShare: 0.15, minPopulation: 10 };

  async function fleet(failing: number) {
    const t = await setup();
    for (let i = 0; i < 10; i++) {
      await t.register('fleet', `f-${i}`, { port: 5000 + i, ...check({ unhealthyThreshold: 1, healthyThreshold: 1 }) });
      t.up.set(5000 + i, i >= failing);
    }
    return t;
  }

  it('engages above 50 % failing probes: marks nothing critical, records the event once', async () => {
    const t = await fleet(6);
    const prober = t.prober({ protection });
    const report = await prober.round();
    expect(report.protection).toMatchObject({ engaged: true, probeEngaged: true, failedTargets: 6, probedTargets: 10 });
    expect(report.transitions).toBe(4); // the 4 passing ones, from unknown
    expect((await t.get('fleet', 'f-0'))!.health).toBe('unknown');
    const item = await t.doc.send(new GetCommand({ TableName: t.tableName, Key: protectionItemKey(0) }));
    expect(item.Item).toMatchObject({ engaged: true, probeEngaged: true });
    t.advance(1000);
    t.writes.length = 0;
    expect((await prober.round()).writes).toBe(0);
    // Recovery: the guard disengages and the state change is recorded again.
    for (let i = 0; i < 10; i++) t.up.set(5000 + i, i >= 2);
    t.advance(1000);
    const after = await prober.round();
    expect(after.protection.engaged).toBe(false);
    expect((await t.get('fleet', 'f-0'))!.health).toBe('critical');
    expect((await t.doc.send(new GetCommand({ TableName: t.tableName, Key: protectionItemKey(0) }))).Item).toMatchObject({ engaged: false });
  });

  it('does not engage at exactly 50 %', async () => {
    const t = await fleet(5);
    const report = await t.prober({ protection }).round();
    expect(report.protection.engaged).toBe(false);
    expect((await t.get('fleet', 'f-0'))!.health).toBe('critical');
  });

  it('engages above 15 % expiring leases and removes none of them that round', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 4 ? 2 : 600 });
    const prober = t.prober({ protection });
    t.advance(2000);
    const engaged = await prober.round();
    expect(engaged.protection).toMatchObject({ leaseEngaged: true, expiredLeases: 4, leasedInstances: 20 });
    expect(engaged.expired).toBe(0);
    expect(await t.get('leased', 'l-0')).toBeDefined();
  });

  it('does not engage at exactly 15 % expiring leases', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 3 ? 2 : 600 });
    t.advance(2000);
    const prober = t.prober({ protection });
    expect((await prober.round()).protection.leaseEngaged).toBe(false);
    t.advance(1000);
    const report = await prober.round();
    expect(report.protection.leaseEngaged).toBe(false);
    expect(report.expired).toBe(3);
  });
});
