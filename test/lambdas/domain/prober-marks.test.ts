/**
 * The sweeper's two steps: the mark publishes nothing and so must not move the revision, and the delete a round
 * later must not remove a lease that was renewed in between.
 */
import { classify } from '../../../lambdas/domain/events.js';
import type { Instance } from '../../../lambdas/domain/instance.js';
import { setup } from './prober-harness.js';

describe('the removal mark', () => {
  it('leaves the revision as the last published one, so discovery never shows a revision no event carried', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('marked', `m-${i}`, { leaseSeconds: i < 5 ? 2 : 600 });
    const registered = (await t.get('marked', 'm-0'))!.revision as number;
    t.advance(3000);
    // 5 of 20 lapse: the lease guard engages and holds them, marked, for as long as it stays engaged.
    expect((await t.prober().round()).protection.leaseEngaged).toBe(true);
    const item = await t.get('marked', 'm-0');
    expect(item).toMatchObject({ removal: 'expired', revision: registered, lastWrite: 'removal' });
    // What discovery serves carries the revision event-fed caches hold...
    const answer = await t.registry.discover({ principal: 'r', services: [], read: ['*'], admin: false }, 'marked', { status: 'all', tag: [], limit: 100 }, {});
    expect(answer.instances.find((i) => i.instanceId === 'm-0')).toMatchObject({ revision: registered, leaseExpired: true });
    // ...and the removal, when it comes, is still the next revision.
    const removal = classify({ kind: 'instance', oldImage: item as unknown as Instance, byTtl: false, atMs: t.clock() });
    expect(removal).toMatchObject({ detailType: 'Instance Expired', detail: { revision: registered + 1 } });
  });
});

describe('the delete a round after the mark', () => {
  it('keeps a lease renewed between the mark and the delete, and takes its mark off', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('renewed', `r-${i}`, { leaseSeconds: i === 0 ? 2 : 600 });
    const prober = t.prober();
    t.advance(2500);
    expect(await prober.round()).toMatchObject({ expiredMarked: 1, protection: { leaseEngaged: false } });
    expect(await t.summary('renewed')).toMatchObject({ total: 20, healthy: 19 });
    // A heartbeat judged on a clock a second behind the prober's still finds the lease live, and renews it.
    const renewal = await t.store.heartbeat({ service: 'renewed', instanceId: 'r-0' }, { owner: 'owner', nowMs: t.clock() - 1000 });
    expect(renewal.ok).toBe(true);
    t.advance(100);
    expect((await prober.round()).expired).toBe(0);
    const item = await t.get('renewed', 'r-0');
    expect(item).toBeDefined();
    expect(item).not.toHaveProperty('removal');
    expect(await t.summary('renewed')).toMatchObject({ total: 20, healthy: 20 });
  });
});
