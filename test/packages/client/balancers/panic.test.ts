import { createBalancer, isPanic } from '@service-registry/client';
import { instance, instances, tally } from './fixtures.js';

describe('panic threshold', () => {
  it.each([
    [4, 10, 0.5, true],
    [5, 10, 0.5, false],
    [0, 3, 0.5, true],
    [0, 3, 0, false],
    [0, 0, 0.5, false],
    [6, 10, 0.7, true],
  ])('isPanic(%i healthy of %i, threshold %d) is %s', (healthy, total, threshold, expected) => {
    expect(isPanic(healthy, total, threshold)).toBe(expected);
  });

  it('balances over every instance, unhealthy ones included, when under half are healthy', () => {
    // Prepare
    const balancer = createBalancer({ random: () => 0 });
    balancer.update([...instances(4, 'ok'), ...instances(3, 'crit', { health: 'critical' }), ...instances(3, 'drain', { status: 'DRAINING' })]);

    // Act
    const counts = tally(balancer, 1000);

    // Assess
    expect(balancer.mode).toBe('panic');
    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(count).toBe(100);
  });

  it('balances over healthy instances only when exactly half are healthy', () => {
    const balancer = createBalancer({ random: () => 0 });
    balancer.update([...instances(5, 'ok'), ...instances(5, 'crit', { health: 'critical' })]);

    const counts = tally(balancer, 1000);

    expect(balancer.mode).toBe('healthy');
    expect([...counts.keys()].every((id) => id.startsWith('ok'))).toBe(true);
  });

  it('counts unknown health as healthy and draining as unhealthy', () => {
    const balancer = createBalancer({ random: () => 0 });
    balancer.update([instance('new', { health: 'unknown' }), instance('up'), instance('leaving', { status: 'DRAINING' })]);

    expect([...tally(balancer, 100).keys()].sort()).toEqual(['new', 'up']);
  });

  it('uses a configured threshold', () => {
    const set = [...instances(6, 'ok'), ...instances(4, 'crit', { health: 'critical' })];
    const strict = createBalancer({ panicThreshold: 0.7, random: () => 0 });

    strict.update(set);

    expect(strict.mode).toBe('panic');
    expect(tally(strict, 100).size).toBe(10);
  });

  it('never panics with threshold 0, so a set with no healthy instance picks nothing', () => {
    const balancer = createBalancer({ panicThreshold: 0 });

    balancer.update(instances(3, 'crit', { health: 'critical' }));

    expect(balancer.mode).toBe('empty');
    expect(balancer.pick()).toBeUndefined();
  });

  it("ignores the caller's zone in panic", () => {
    const balancer = createBalancer({ zone: 'a', random: () => 0 });
    balancer.update([
      ...instances(2, 'a', { zone: 'a' }),
      ...instances(3, 'ax', { zone: 'a', health: 'critical' }),
      ...instances(3, 'b', { zone: 'b', health: 'critical' }),
    ]);

    expect(balancer.mode).toBe('panic');
    expect(tally(balancer, 80).size).toBe(8);
  });
});
