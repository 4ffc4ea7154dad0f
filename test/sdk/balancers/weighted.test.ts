import { SmoothWeightedBalancer } from '../../../sdk/balancers/index.js';
import { instance, sequence, tally } from './fixtures.js';

describe('SmoothWeightedBalancer', () => {
  it('interleaves weights 5, 1, 1 as a, a, b, a, c, a, a, period after period', () => {
    // Prepare
    const wrr = new SmoothWeightedBalancer();
    wrr.update([instance('a', { weight: 5 }), instance('b', { weight: 1 }), instance('c', { weight: 1 })]);

    // Act
    const picks = sequence(wrr, 14);

    // Assess
    expect(picks).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a', 'a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('gives every instance exactly its weight in each period of Σ weight picks', () => {
    const weights = [1, 7, 3, 10, 2, 1000, 25];
    const wrr = new SmoothWeightedBalancer();
    wrr.update(weights.map((weight, i) => instance(`w${i}`, { weight })));
    const period = weights.reduce((a, b) => a + b, 0);

    const counts = tally(wrr, 3 * period);

    weights.forEach((weight, i) => expect(counts.get(`w${i}`)).toBe(3 * weight));
  });

  it('never picks an instance of weight 0', () => {
    const wrr = new SmoothWeightedBalancer();
    wrr.update([instance('zero1', { weight: 0 }), instance('a', { weight: 3 }), instance('zero2', { weight: 0 }), instance('b', { weight: 1 })]);

    const counts = tally(wrr, 1000);

    expect([...counts.keys()].sort()).toEqual(['a', 'b']);
    expect(counts.get('a')).toBe(750);
  });

  it('returns undefined when every weight is 0', () => {
    const wrr = new SmoothWeightedBalancer();
    wrr.update([instance('a', { weight: 0 }), instance('b', { weight: 0 })]);

    expect(wrr.pick()).toBeUndefined();
  });

  it('returns undefined for an empty set', () => {
    const wrr = new SmoothWeightedBalancer();
    wrr.update([]);

    expect(wrr.pick()).toBeUndefined();
  });

  it('starts a fresh sequence from the new weights after update', () => {
    const wrr = new SmoothWeightedBalancer();
    wrr.update([instance('a', { weight: 1 }), instance('b', { weight: 1 })]);
    wrr.pick();

    wrr.update([instance('a', { weight: 1 }), instance('b', { weight: 2 })]);

    expect(sequence(wrr, 6)).toEqual(['b', 'a', 'b', 'b', 'a', 'b']);
  });
});
