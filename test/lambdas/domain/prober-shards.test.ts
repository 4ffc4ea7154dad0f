/**
 * With several prober shards each shard's guard has a state item of its own, and reads consult the item of the
 * service's shard: one shard's guard never overwrites, or stands in for, another's.
 */
import { shardOf } from '../../../lambdas/domain/shards.js';
import { check, setup } from './prober-harness.js';

/** The first name `prefix-<n>` that falls in `shard` of 2. */
const serviceIn = (shard: number, prefix: string) => {
  for (let n = 0; ; n++) if (shardOf(`${prefix}-${n}`, 2) === shard) return `${prefix}-${n}`;
};

it('keeps one guard state per shard, and reads judge a service by its own shard', async () => {
  const t = await setup();
  const leased = serviceIn(0, 'leased');
  const probed = serviceIn(1, 'probed');
  const quiet = serviceIn(1, 'quiet');
  for (let i = 0; i < 100; i++) await t.register(leased, `l-${i}`, { leaseSeconds: i < 30 ? 2 : 600 });
  for (let i = 0; i < 20; i++) await t.register(probed, `p-${i}`, { port: 5000 + i, ...check() }); // all failing
  for (let i = 0; i < 20; i++) await t.register(quiet, `q-${i}`, { leaseSeconds: i === 0 ? 2 : 600 }); // one real death
  const shard0 = t.prober({ shard: 0, shards: 2 });
  const shard1 = t.prober({ shard: 1, shards: 2 });
  t.advance(3000);
  expect((await shard0.round()).protection).toMatchObject({ leaseEngaged: true, expiredLeases: 30, leasedInstances: 100 });
  expect((await shard1.round()).protection).toMatchObject({ probeEngaged: true, leaseEngaged: false, leasedInstances: 20 });
  // Shard 1's targets recover and its guard lets go, well after anything reads would judge on their own.
  for (let i = 0; i < 20; i++) t.up.set(5000 + i, true);
  t.advance(60_000);
  await shard0.round();
  expect((await shard1.round()).protection.engaged).toBe(false);

  expect(await t.protectionItem(0)).toMatchObject({ shard: 0, engaged: true, leaseEngaged: true });
  expect(await t.protectionItem(1)).toMatchObject({ shard: 1, engaged: false });
  const registry = t.shardedRegistry(2);
  const reader = { principal: 'r', services: [], read: ['*'], admin: false };
  const query = { status: 'healthy' as const, tag: [], limit: 1000 };
  // Shard 0's lease guard still holds the leased service's lapsed instances, whatever shard 1 wrote last...
  const kept = await registry.discover(reader, leased, query, {});
  expect(kept.instances).toHaveLength(100);
  expect(kept.instances.filter((i) => i.leaseExpired)).toHaveLength(30);
  expect(kept.protection).toMatchObject({ engaged: true, leases: true, probes: false });
  // ...and does not keep the real death in shard 1's quiet service.
  const quietAnswer = await registry.discover(reader, quiet, query, {});
  expect(quietAnswer.instances).toHaveLength(19);
  expect(quietAnswer).not.toHaveProperty('protection');
});
