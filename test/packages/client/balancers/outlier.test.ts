import { createBalancer, type CreateBalancerOptions, OutlierEjector } from '@service-registry/client';
import type { InstanceRecord } from '@service-registry/contracts';
import { fakeClock, instance, instances, tally } from './fixtures.js';

const picked = (balancer: { pick(): InstanceRecord | undefined }, picks = 100) => [...tally(balancer, picks).keys()].sort();

function setUp(options: CreateBalancerOptions = {}, count = 4) {
  const clock = fakeClock();
  const balancer = createBalancer({ now: clock.now, random: () => 0, ...options });
  const set = instances(count);
  balancer.update(set);
  const fail = (target: InstanceRecord, times: number) => {
    for (let i = 0; i < times; i++) balancer.report(target, false);
  };
  return { balancer, clock, set, fail };
}

describe('passive outlier ejection', () => {
  it('keeps an instance after 4 consecutive failures and ejects it on the 5th', () => {
    // Prepare
    const { balancer, set, fail } = setUp();

    // Act
    fail(set[0]!, 4);
    const afterFour = picked(balancer);
    fail(set[0]!, 1);
    const afterFive = picked(balancer);

    // Assess
    expect(afterFour).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(afterFive).toEqual(['i1', 'i2', 'i3']);
  });

  it('starts counting again after a success', () => {
    const { balancer, set, fail } = setUp();

    fail(set[0]!, 4);
    balancer.report(set[0]!, true);
    fail(set[0]!, 4);

    expect(picked(balancer)).toContain('i0');
  });

  it('ejects after a configured number of consecutive failures', () => {
    const { balancer, set, fail } = setUp({ outlierEjection: { consecutiveFailures: 2 } });

    fail(set[1]!, 2);

    expect(picked(balancer)).toEqual(['i0', 'i2', 'i3']);
  });

  it('lets an ejected instance back after the base ejection time of 30 s', () => {
    const { balancer, clock, set, fail } = setUp();
    fail(set[0]!, 5);

    clock.advance(29_999);
    const before = picked(balancer);
    clock.advance(1);
    const after = picked(balancer);

    expect(before).not.toContain('i0');
    expect(after).toContain('i0');
  });

  it('ejects for base × ejections the next times: 60 s the second time, 90 s the third', () => {
    const { balancer, clock, set, fail } = setUp();
    fail(set[0]!, 5);
    clock.advance(30_000);
    balancer.pick();

    fail(set[0]!, 5);
    clock.advance(59_999);
    const secondBefore = picked(balancer);
    clock.advance(1);
    const secondAfter = picked(balancer);
    fail(set[0]!, 5);
    clock.advance(89_999);
    const thirdBefore = picked(balancer);
    clock.advance(1);
    const thirdAfter = picked(balancer);

    expect(secondBefore).not.toContain('i0');
    expect(secondAfter).toContain('i0');
    expect(thirdBefore).not.toContain('i0');
    expect(thirdAfter).toContain('i0');
  });

  it('caps the ejection time at maxEjectionMs', () => {
    const { balancer, clock, set, fail } = setUp({ outlierEjection: { baseEjectionMs: 100, maxEjectionMs: 250 } });
    for (const duration of [100, 200]) {
      fail(set[0]!, 5);
      clock.advance(duration);
      balancer.pick();
    }

    fail(set[0]!, 5); // the third: 300 ms uncapped
    clock.advance(249);
    const before = picked(balancer);
    clock.advance(1);
    const after = picked(balancer);

    expect(before).not.toContain('i0');
    expect(after).toContain('i0');
  });

  it('ignores reports about an instance while it is ejected, and a returning one needs 5 fresh failures', () => {
    const { balancer, clock, set, fail } = setUp();
    fail(set[0]!, 5);
    fail(set[0]!, 20); // requests that were in flight when it was ejected

    clock.advance(30_000);
    fail(set[0]!, 4);
    const afterFour = picked(balancer);
    fail(set[0]!, 1);

    expect(afterFour).toContain('i0');
    expect(picked(balancer)).not.toContain('i0');
  });

  it('never ejects more than half of the set', () => {
    const { balancer, set, fail } = setUp();

    for (const target of set) fail(target, 5);

    expect(picked(balancer)).toEqual(['i2', 'i3']);
  });

  it('ejects an instance held back by the cap on its next failure once there is room', () => {
    const { balancer, clock, set, fail } = setUp({ outlierEjection: { maxEjectedShare: 0.25 } });
    fail(set[0]!, 5);
    fail(set[1]!, 5); // at the cap: not ejected
    clock.advance(30_000);
    balancer.pick(); // i0 returns

    fail(set[1]!, 1);

    expect(picked(balancer)).toEqual(['i0', 'i2', 'i3']);
  });

  it('never ejects the only instance', () => {
    const { balancer, set, fail } = setUp({}, 1);

    fail(set[0]!, 50);

    expect(balancer.pick()?.instanceId).toBe('i0');
  });

  it('keeps an instance ejected across an update that still contains it', () => {
    const { balancer, set, fail } = setUp();
    fail(set[0]!, 5);

    balancer.update(instances(4).map((i) => ({ ...i, revision: 2 })));

    expect(picked(balancer)).toEqual(['i1', 'i2', 'i3']);
  });

  it('keeps the ejection count across an update, so the next ejection still lasts longer', () => {
    const { balancer, clock, set, fail } = setUp();
    fail(set[0]!, 5);
    balancer.update(instances(4));
    clock.advance(30_000);
    balancer.pick();

    fail(set[0]!, 5);
    clock.advance(30_000);

    expect(picked(balancer)).not.toContain('i0');
  });

  it('still never ejects more than half of the set after an update', () => {
    const { balancer, set, fail } = setUp();
    fail(set[0]!, 5);
    fail(set[1]!, 5);

    balancer.update(instances(4));
    fail(set[2]!, 5);

    expect(picked(balancer)).toEqual(['i2', 'i3']);
  });

  it('counts ejected instances as unhealthy for the panic threshold', () => {
    const { balancer, set, fail } = setUp();
    balancer.update([...set.slice(0, 3), instance('i3', { health: 'critical' })]);
    fail(set[0]!, 5);
    const oneEjected = balancer.mode;

    fail(set[1]!, 5); // 1 of 4 left healthy

    expect(oneEjected).toBe('healthy');
    expect(balancer.mode).toBe('panic');
    expect(picked(balancer)).toEqual(['i0', 'i1', 'i2', 'i3']);
  });

  it('never ejects when outlier ejection is off', () => {
    const { balancer, set, fail } = setUp({ outlierEjection: false });

    fail(set[0]!, 50);

    expect(picked(balancer)).toContain('i0');
  });
});

describe('OutlierEjector', () => {
  it('reports the ejection and the time the instance is due back', () => {
    const clock = fakeClock(1000);
    const ejector = new OutlierEjector({ consecutiveFailures: 2, baseEjectionMs: 500 }, clock.now);
    ejector.track(['a', 'b']);

    const results = [ejector.record('a', false), ejector.record('a', false)];

    expect(results).toEqual([false, true]);
    expect(ejector.isEjected('a')).toBe(true);
    expect(ejector.nextReturnAt).toBe(1500);
    expect(ejector.returnDue(1499)).toBe(false);
    expect(ejector.returnDue(1500)).toBe(true);
    expect(ejector.isEjected('a')).toBe(false);
    expect(ejector.nextReturnAt).toBe(Number.POSITIVE_INFINITY);
  });

  it('forgets an ejected instance that leaves the set', () => {
    const ejector = new OutlierEjector({ consecutiveFailures: 1 }, () => 0);
    ejector.track(['a', 'b']);
    ejector.record('a', false);

    ejector.track(['b']);

    expect(ejector.ejectedTotal).toBe(0);
    expect(ejector.nextReturnAt).toBe(Number.POSITIVE_INFINITY);
  });
});
