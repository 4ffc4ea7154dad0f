/** Instance records and a seeded random source for the balancer tests. */
import type { InstanceRecord } from '@service-registry/contracts';
import type { Balancer } from '@service-registry/client';

/** A registry instance record, UP and passing, weight 100, unless `overrides` say otherwise. */
export function instance(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    service: 'orders',
    instanceId,
    address: '10.0.0.1',
    port: 8080,
    protocol: 'http',
    weight: 100,
    tags: [],
    metadata: {},
    status: 'UP',
    health: 'passing',
    registeredAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    revision: 1,
    ...overrides,
  };
}

/** `count` instances named `${prefix}0`, `${prefix}1`, … with the same overrides. */
export function instances(count: number, prefix = 'i', overrides: Partial<InstanceRecord> = {}): InstanceRecord[] {
  return Array.from({ length: count }, (_, i) => instance(`${prefix}${i}`, overrides));
}

/** mulberry32: a small seeded PRNG, so distribution tests are repeatable rather than flaky. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks `picks` times and counts the picks per instanceId (`undefined` picks count under ''). */
export function tally(balancer: Pick<Balancer, 'pick'>, picks: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const id = balancer.pick()?.instanceId ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The ids of `picks` consecutive picks. */
export function sequence(balancer: Pick<Balancer, 'pick'>, picks: number): string[] {
  return Array.from({ length: picks }, () => balancer.pick()?.instanceId ?? '');
}

/** A clock the test moves by hand. */
export function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}
