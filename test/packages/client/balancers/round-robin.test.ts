import { RoundRobinBalancer } from '@service-registry/client';
import { instances, seeded, sequence, tally } from './fixtures.js';

describe('RoundRobinBalancer', () => {
  it('gives every instance exactly the same number of picks over whole rotations', () => {
    // Prepare
    const rr = new RoundRobinBalancer({ random: seeded(1) });
    rr.update(instances(7));

    // Act
    const counts = tally(rr, 7 * 1000);

    // Assess
    expect(counts.size).toBe(7);
    for (const count of counts.values()) expect(count).toBe(1000);
  });

  it('visits every instance once in each window of n consecutive picks', () => {
    const rr = new RoundRobinBalancer({ random: seeded(2) });
    rr.update(instances(5));

    const picks = sequence(rr, 50);

    for (let start = 0; start + 5 <= picks.length; start++) expect(new Set(picks.slice(start, start + 5)).size).toBe(5);
  });

  it('starts the rotation where the random source points', () => {
    const rr = new RoundRobinBalancer({ random: () => 0.5 });
    rr.update(instances(4));

    expect(sequence(rr, 5)).toEqual(['i2', 'i3', 'i0', 'i1', 'i2']);
  });

  it('rotates over the new set after update', () => {
    const rr = new RoundRobinBalancer({ random: () => 0 });
    rr.update(instances(3, 'old'));
    rr.pick();

    rr.update(instances(2, 'new'));

    expect(sequence(rr, 4)).toEqual(['new0', 'new1', 'new0', 'new1']);
  });

  it('is not affected when the caller mutates the array it passed to update', () => {
    const rr = new RoundRobinBalancer({ random: () => 0 });
    const set = instances(2);
    rr.update(set);

    set.length = 0;

    expect(sequence(rr, 2)).toEqual(['i0', 'i1']);
  });

  it('returns undefined for an empty set', () => {
    const rr = new RoundRobinBalancer();
    rr.update([]);

    expect(rr.pick()).toBeUndefined();
  });
});
