import { RandomBalancer } from '@service-registry/client';
import { instances, seeded, tally } from './fixtures.js';

describe('RandomBalancer', () => {
  it('spreads picks evenly, each instance within 5 % of its share (seeded)', () => {
    // Prepare
    const random = new RandomBalancer({ random: seeded(42) });
    random.update(instances(10));

    // Act
    const counts = tally(random, 100_000);

    // Assess: the standard deviation of one count is about 95, so 500 is over 5 sigma.
    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('spreads picks evenly with Math.random by default, each instance within 10 % of its share', () => {
    const random = new RandomBalancer();
    random.update(instances(10));

    const counts = tally(random, 100_000);

    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(1000);
  });

  it('maps the random source onto the set, the top of the range onto the last instance', () => {
    let next = 0;
    const random = new RandomBalancer({ random: () => next });
    random.update(instances(4));

    next = 0;
    const first = random.pick()?.instanceId;
    next = 0.999_999;
    const last = random.pick()?.instanceId;

    expect([first, last]).toEqual(['i0', 'i3']);
  });

  it('returns undefined for an empty set', () => {
    const random = new RandomBalancer();
    random.update([]);

    expect(random.pick()).toBeUndefined();
  });
});
