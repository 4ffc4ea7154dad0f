import { createBalancer, LeastOutstandingBalancer, RandomBalancer, RoundRobinBalancer, SmoothWeightedBalancer, STRATEGIES } from '@service-registry/client';
import { instance, instances, sequence, tally } from './fixtures.js';

describe('createBalancer', () => {
  it.each(STRATEGIES)('returns undefined from %s for an empty set', (strategy) => {
    const balancer = createBalancer({ strategy });

    balancer.update([]);

    expect(balancer.mode).toBe('empty');
    expect(balancer.pick()).toBeUndefined();
  });

  it.each(STRATEGIES)('returns undefined from %s after an update empties the set', (strategy) => {
    const balancer = createBalancer({ strategy });
    balancer.update(instances(3));

    balancer.update([]);

    expect(balancer.pick()).toBeUndefined();
  });

  it.each([
    ['round-robin', () => new RoundRobinBalancer()],
    ['random', () => new RandomBalancer()],
    ['weighted', () => new SmoothWeightedBalancer()],
    ['least-outstanding', () => new LeastOutstandingBalancer()],
  ])('returns undefined from a bare %s strategy that was never updated', (_name, make) => {
    expect(make().pick()).toBeUndefined();
  });

  it('sends traffic only to healthy instances by default', () => {
    const balancer = createBalancer({ random: () => 0 });

    balancer.update([...instances(3, 'ok'), instance('crit', { health: 'critical' }), instance('drain', { status: 'DRAINING' })]);

    expect([...tally(balancer, 300).keys()].sort()).toEqual(['ok0', 'ok1', 'ok2']);
  });

  it('uses smooth weighted round robin for the weighted strategy', () => {
    const balancer = createBalancer({ strategy: 'weighted' });

    balancer.update([instance('a', { weight: 5 }), instance('b', { weight: 1 }), instance('c', { weight: 1 })]);

    expect(sequence(balancer, 7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('uses least-outstanding and passes release through to it', () => {
    // random() always 0 draws a then b and breaks ties towards a: a, b, a leaves a with 2 and b with 1 in flight.
    const balancer = createBalancer({ strategy: 'least-outstanding', random: () => 0 });
    balancer.update([instance('a'), instance('b')]);
    const held = sequence(balancer, 3);

    balancer.release(instance('a'));
    balancer.release(instance('a'));

    expect(held).toEqual(['a', 'b', 'a']);
    expect(balancer.pick()?.instanceId).toBe('a');
  });

  it("leaves weight-0 instances out of the weighted set, so they do not hold traffic in the caller's zone", () => {
    // Zone a has three healthy instances, but two of weight 0: only one can take traffic, fewer than the minimum of 2.
    const balancer = createBalancer({ strategy: 'weighted', zone: 'a' });

    balancer.update([
      instance('a0', { zone: 'a', weight: 0 }),
      instance('a1', { zone: 'a', weight: 0 }),
      instance('a2', { zone: 'a', weight: 5 }),
      instance('b0', { zone: 'b', weight: 5 }),
    ]);

    expect(balancer.mode).toBe('healthy');
    expect([...tally(balancer, 100).keys()].sort()).toEqual(['a2', 'b0']);
  });

  it('never picks a weight-0 instance with the weighted strategy, even in panic', () => {
    const balancer = createBalancer({ strategy: 'weighted' });

    balancer.update([instance('zero', { weight: 0 }), instance('a', { weight: 1, health: 'critical' }), instance('b', { weight: 1, health: 'critical' })]);

    expect(balancer.mode).toBe('panic');
    expect([...tally(balancer, 100).keys()].sort()).toEqual(['a', 'b']);
  });
});
