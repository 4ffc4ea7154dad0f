/**
 * Instances the registry keeps, marked `leaseExpired`, while its mass-failure guard is engaged: traffic goes to
 * them only when too few unmarked ones remain (the panic threshold), so a registry-side outage never empties a
 * service and a real mass death still drains away from the dead.
 */
import { createBalancer, isHealthy, STRATEGIES } from '@service-registry/client';
import { instance, instances, seeded, tally } from './fixtures.js';

const marked = { leaseExpired: true, health: 'unknown' } as const;

describe('instances marked leaseExpired', () => {
  it('do not count as healthy, whatever their health reads', () => {
    expect(isHealthy(instance('kept', marked))).toBe(false);
    expect(isHealthy(instance('new', { health: 'unknown' }))).toBe(true);
  });

  it.each(STRATEGIES)('get no traffic from %s while at least half of the set is unmarked and healthy', (strategy) => {
    // Prepare: a few heartbeats lost, the rest of the fleet renewing.
    const balancer = createBalancer({ strategy, random: seeded(7) });

    // Act
    balancer.update([...instances(5, 'live'), ...instances(5, 'kept', marked)]);

    // Assess
    expect(balancer.mode).toBe('healthy');
    expect([...tally(balancer, 500).keys()].every((id) => id.startsWith('live'))).toBe(true);
  });

  it.each(STRATEGIES)('take traffic under %s when every lease reads expired (a registry-side outage), instead of nothing', (strategy) => {
    const balancer = createBalancer({ strategy, random: seeded(7) });

    balancer.update(instances(4, 'kept', marked));

    expect(balancer.mode).toBe('panic');
    expect(tally(balancer, 400).size).toBe(4);
  });

  it('take traffic in panic when too few unmarked instances remain', () => {
    const balancer = createBalancer({ random: () => 0 });

    balancer.update([...instances(2, 'live'), ...instances(3, 'kept', marked)]);

    expect(balancer.mode).toBe('panic');
    expect([...tally(balancer, 500).keys()].sort()).toEqual(['kept0', 'kept1', 'kept2', 'live0', 'live1']);
  });

  it("do not keep traffic in the caller's zone", () => {
    const balancer = createBalancer({ zone: 'a', random: () => 0 });

    balancer.update([...instances(2, 'a-kept', { ...marked, zone: 'a' }), ...instances(1, 'a-live', { zone: 'a' }), ...instances(3, 'b-live', { zone: 'b' })]);

    // Zone a has one healthy instance (fewer than minHealthy 2): traffic spills over to every healthy one.
    expect(balancer.mode).toBe('healthy');
    expect([...tally(balancer, 400).keys()].sort()).toEqual(['a-live0', 'b-live0', 'b-live1', 'b-live2']);
  });

  it('are never picked with panic off, so a fully marked set picks nothing', () => {
    const balancer = createBalancer({ panicThreshold: 0 });

    balancer.update(instances(3, 'kept', marked));

    expect(balancer.mode).toBe('empty');
    expect(balancer.pick()).toBeUndefined();
  });
});
