import { createBalancer, preferZone } from '@service-registry/client';
import { instance, instances, tally } from './fixtures.js';

const zoneA = (count: number, overrides = {}) => instances(count, 'a', { zone: 'a', ...overrides });
const zoneB = (count: number, overrides = {}) => instances(count, 'b', { zone: 'b', ...overrides });
const zonesOf = (counts: Map<string, number>) => new Set([...counts.keys()].map((id) => id[0]));

describe('zone-aware balancing', () => {
  it("keeps traffic in the caller's zone while it has at least 2 healthy instances", () => {
    // Prepare
    const balancer = createBalancer({ zone: 'a', random: () => 0 });
    balancer.update([...zoneA(2), ...zoneB(4)]);

    // Act
    const counts = tally(balancer, 600);

    // Assess
    expect(balancer.mode).toBe('zone');
    expect([...counts.keys()].sort()).toEqual(['a0', 'a1']);
  });

  it("spills over to healthy instances of every zone when fewer than 2 are healthy in the caller's zone", () => {
    const balancer = createBalancer({ zone: 'a', random: () => 0 });
    balancer.update([instance('a0', { zone: 'a' }), instance('a1', { zone: 'a', health: 'critical' }), ...zoneB(3)]);

    const counts = tally(balancer, 400);

    expect(balancer.mode).toBe('healthy');
    expect([...counts.keys()].sort()).toEqual(['a0', 'b0', 'b1', 'b2']);
  });

  it('keeps traffic local down to a configured minimum of healthy instances', () => {
    const balancer = createBalancer({ zone: { name: 'a', minHealthy: 1 }, random: () => 0 });
    balancer.update([instance('a0', { zone: 'a' }), instance('a1', { zone: 'a', status: 'DRAINING' }), ...zoneB(3)]);

    const counts = tally(balancer, 100);

    expect([...counts.keys()]).toEqual(['a0']);
  });

  it('keeps traffic local while the healthy share of the zone meets the configured share, whatever other zones hold', () => {
    const set = [...zoneA(3), instance('ax', { zone: 'a', health: 'critical' }), ...zoneB(4)];
    const balancer = createBalancer({ zone: { name: 'a', minHealthyShare: 0.5 }, random: () => 0 });

    balancer.update(set);

    expect(zonesOf(tally(balancer, 100))).toEqual(new Set(['a']));
  });

  it('spills over when the healthy share of the zone is below the configured share', () => {
    const set = [...zoneA(2), ...instances(3, 'ax', { zone: 'a', health: 'critical' }), ...zoneB(2)];
    const byCount = createBalancer({ zone: 'a', random: () => 0 });
    const byShare = createBalancer({ zone: { name: 'a', minHealthyShare: 0.5 }, random: () => 0 });

    byCount.update(set);
    byShare.update(set);

    expect(zonesOf(tally(byCount, 100))).toEqual(new Set(['a']));
    expect(zonesOf(tally(byShare, 100))).toEqual(new Set(['a', 'b']));
  });

  it("goes back to the caller's zone when an update makes it healthy again", () => {
    const balancer = createBalancer({ zone: 'a', random: () => 0 });
    balancer.update([...zoneA(2, { health: 'critical' }), ...zoneB(4)]);

    balancer.update([...zoneA(2), ...zoneB(4)]);

    expect(zonesOf(tally(balancer, 100))).toEqual(new Set(['a']));
  });

  it('balances over every zone when no zone is configured', () => {
    const balancer = createBalancer({ random: () => 0 });
    balancer.update([...zoneA(2), ...zoneB(2)]);

    expect(zonesOf(tally(balancer, 100))).toEqual(new Set(['a', 'b']));
  });

  it('does not count instances without a zone as local', () => {
    const all = [instance('x0'), instance('x1'), instance('a0', { zone: 'a' })];

    expect(preferZone(all, all, { name: 'a' })).toBeUndefined();
    expect(preferZone(all, all, { name: 'a', minHealthy: 1 })?.map((i) => i.instanceId)).toEqual(['a0']);
  });
});
