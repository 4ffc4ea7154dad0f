import { SmoothWeightedBalancer } from '@service-registry/client';
import { instance, seeded, sequence, tally } from './fixtures.js';

// Every behaviour holds both with the precomputed schedule (the default for short periods) and per pick.
describe.each([
  ['with a precomputed schedule', {}],
  ['computed per pick', { maxScheduleLength: 0 }],
])('SmoothWeightedBalancer %s', (_mode, options) => {
  it('interleaves weights 5, 1, 1 as a, a, b, a, c, a, a, period after period', () => {
    // Prepare
    const wrr = new SmoothWeightedBalancer(options);
    wrr.update([instance('a', { weight: 5 }), instance('b', { weight: 1 }), instance('c', { weight: 1 })]);

    // Act
    const picks = sequence(wrr, 14);

    // Assess
    expect(picks).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a', 'a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('gives every instance exactly its weight in each period of Σ weight picks', () => {
    const weights = [1, 7, 3, 10, 2, 1000, 25];
    const wrr = new SmoothWeightedBalancer(options);
    wrr.update(weights.map((weight, i) => instance(`w${i}`, { weight })));
    const period = weights.reduce((a, b) => a + b, 0);

    const counts = tally(wrr, 3 * period);

    weights.forEach((weight, i) => expect(counts.get(`w${i}`)).toBe(3 * weight));
  });

  it('keeps the interleaving of the reduced weights when all weights share a factor', () => {
    const wrr = new SmoothWeightedBalancer(options);
    wrr.update([instance('a', { weight: 500 }), instance('b', { weight: 100 }), instance('c', { weight: 100 })]);

    expect(sequence(wrr, 7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('never picks an instance of weight 0', () => {
    const wrr = new SmoothWeightedBalancer(options);
    wrr.update([instance('zero1', { weight: 0 }), instance('a', { weight: 3 }), instance('zero2', { weight: 0 }), instance('b', { weight: 1 })]);

    const counts = tally(wrr, 1000);

    expect([...counts.keys()].sort()).toEqual(['a', 'b']);
    expect(counts.get('a')).toBe(750);
  });

  it('returns undefined when every weight is 0', () => {
    const wrr = new SmoothWeightedBalancer(options);
    wrr.update([instance('a', { weight: 0 }), instance('b', { weight: 0 })]);

    expect(wrr.pick()).toBeUndefined();
  });

  it('returns undefined for an empty set', () => {
    const wrr = new SmoothWeightedBalancer(options);
    wrr.update([]);

    expect(wrr.pick()).toBeUndefined();
  });

  it('starts a fresh sequence from the new weights after update', () => {
    const wrr = new SmoothWeightedBalancer(options);
    wrr.update([instance('a', { weight: 1 }), instance('b', { weight: 1 })]);
    wrr.pick();

    wrr.update([instance('a', { weight: 1 }), instance('b', { weight: 2 })]);

    expect(sequence(wrr, 6)).toEqual(['b', 'a', 'b', 'b', 'a', 'b']);
  });
});

describe('SmoothWeightedBalancer', () => {
  it('picks the same sequence from the precomputed schedule as per pick', () => {
    const random = seeded(5);
    const set = Array.from({ length: 50 }, (_, i) => instance(`w${i}`, { weight: 1 + Math.floor(random() * 100) }));
    const scheduled = new SmoothWeightedBalancer();
    const live = new SmoothWeightedBalancer({ maxScheduleLength: 0 });
    scheduled.update(set);
    live.update(set);
    const period = set.reduce((sum, i) => sum + i.weight, 0);

    expect(sequence(scheduled, 3 * period)).toEqual(sequence(live, 3 * period));
  });

  it('gives exact weights over a period too long to precompute', () => {
    // 200 instances with weights up to 1000: a period of about 100,000 picks, past the default schedule limit.
    const random = seeded(6);
    const set = Array.from({ length: 200 }, (_, i) => instance(`w${i}`, { weight: 1 + Math.floor(random() * 1000) }));
    const wrr = new SmoothWeightedBalancer();
    wrr.update(set);
    const period = set.reduce((sum, i) => sum + i.weight, 0);

    const counts = tally(wrr, period);

    expect(period).toBeGreaterThan(65_536);
    for (const { instanceId, weight } of set) expect(counts.get(instanceId)).toBe(weight);
  });
});
