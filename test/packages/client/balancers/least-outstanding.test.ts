import { LeastOutstandingBalancer } from '@service-registry/client';
import { instance, instances, seeded, tally } from './fixtures.js';

describe('LeastOutstandingBalancer', () => {
  it('sends each new request to the less loaded of two instances', () => {
    // Prepare: requests are never released, so load only grows.
    const p2c = new LeastOutstandingBalancer({ random: seeded(7) });
    p2c.update(instances(2));

    // Act
    const counts = tally(p2c, 101);

    // Assess: with two instances both are always drawn, so the loads never differ by more than one.
    expect(Math.abs((counts.get('i0') ?? 0) - (counts.get('i1') ?? 0))).toBe(1);
  });

  it('avoids an instance whose requests do not finish', () => {
    const p2c = new LeastOutstandingBalancer({ random: seeded(11) });
    p2c.update(instances(3));
    let stuck = 0;

    for (let i = 0; i < 3000; i++) {
      const target = p2c.pick()!;
      if (target.instanceId === 'i0') stuck++;
      else p2c.release(target);
    }

    // Uniform choice would send it about 1000; least-outstanding sends it the first one and then almost none.
    expect(stuck).toBeLessThan(30);
  });

  it('prefers an instance again once its requests are released', () => {
    // random() always 0 draws a then b and breaks ties towards a: picks go a, b, a, leaving a with 2 and b with 1.
    const p2c = new LeastOutstandingBalancer({ random: () => 0 });
    p2c.update([instance('a'), instance('b')]);
    const held = [p2c.pick()!, p2c.pick()!, p2c.pick()!];

    for (const target of held) if (target.instanceId === 'a') p2c.release(target);

    expect(p2c.pick()?.instanceId).toBe('a');
  });

  it('counts a request as outstanding from pick until release', () => {
    const p2c = new LeastOutstandingBalancer();
    p2c.update([instance('only')]);

    const target = p2c.pick()!;
    const during = p2c.outstandingOf(target);
    p2c.release(target);

    expect([during, p2c.outstandingOf(target)]).toEqual([1, 0]);
  });

  it('draws two different instances even when the random source repeats itself', () => {
    // With random() always 0 the first draw is slot 0; if the second could be slot 0 too, i0 would take every pick.
    const p2c = new LeastOutstandingBalancer({ random: () => 0 });
    p2c.update(instances(3));

    const counts = tally(p2c, 2);

    expect(counts.get('i0')).toBe(1);
    expect(counts.get('i1')).toBe(1);
  });

  it('ignores releases of unknown instances and extra releases, never going below zero', () => {
    const p2c = new LeastOutstandingBalancer();
    const a = instance('a');
    p2c.update([a]);

    p2c.release(instance('stranger'));
    p2c.release(a);
    p2c.pick();

    expect(p2c.outstandingOf(a)).toBe(1);
  });

  it('keeps the outstanding count of an instance that stays in the set across update', () => {
    const p2c = new LeastOutstandingBalancer();
    p2c.update([instance('a')]);
    p2c.pick();
    p2c.pick();

    p2c.update([instance('b'), instance('a', { revision: 2 })]);

    expect(p2c.outstandingOf(instance('a'))).toBe(2);
    expect(p2c.outstandingOf(instance('b'))).toBe(0);
  });

  it('returns undefined for an empty set', () => {
    const p2c = new LeastOutstandingBalancer();
    p2c.update([]);

    expect(p2c.pick()).toBeUndefined();
  });
});
