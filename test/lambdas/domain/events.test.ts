import { classify, type StoredChange } from '../../../lambdas/domain/events.js';
import { draftInstance, type Instance } from '../../../lambdas/domain/instance.js';
import type { InstanceWrite } from '../../../lambdas/domain/writes.js';
import { registerBody } from '@service-registry/contracts';

const T = Date.UTC(2026, 10, 24, 12);
const base: Instance = {
  ...draftInstance({ service: 'orders', instanceId: 'a' }, registerBody.parse({ address: '10.0.0.1', port: 80, leaseSeconds: 30 }), 'alice', T),
  revision: 10,
};
/** A creation (no `before`), an update (both, made by `write`) or a removal (no `after`), as the stream adapter maps it. */
const change = (write: InstanceWrite | undefined, oldImage?: Instance, newImage?: Instance, byTtl = false): StoredChange => ({
  kind: 'instance',
  ...(oldImage && { oldImage }),
  ...(newImage && { newImage }),
  ...(write && { write }),
  byTtl,
  atMs: T + 1000,
});

describe('classify', () => {
  it('publishes a new item as Instance Registered', () => {
    const event = classify(change('register', undefined, base))!;
    expect(event.detailType).toBe('Instance Registered');
    expect(event.detail).toMatchObject({ eventId: 'orders/a/10', revision: 10, reason: 'registered', changed: [] });
  });

  it('publishes nothing for a heartbeat (lease moved, revision did not)', () => {
    expect(classify(change('heartbeat', base, { ...base, leaseExpiresAtMs: T + 60_000 }))).toBeUndefined();
  });

  it('publishes a patch of weight, tags, metadata or status as Instance Updated naming the fields', () => {
    const after = { ...base, weight: 5, tags: ['x'], revision: 11 };
    const event = classify(change('patch', base, after))!;
    expect(event.detailType).toBe('Instance Updated');
    expect(event.detail).toMatchObject({ changed: ['weight', 'tags'], reason: 'patched', revision: 11 });
    expect(classify(change('patch', base, { ...base, status: 'DRAINING', revision: 11 }))!.detail).toMatchObject({ changed: ['status'] });
  });

  it('publishes a replace with a new address as Instance Updated, reason replaced', () => {
    const after = { ...base, address: '10.0.0.2', registeredAtMs: T + 500, revision: 11 };
    expect(classify(change('register', base, after))!.detail).toMatchObject({ changed: ['address'], reason: 'replaced' });
  });

  it('publishes every revision bump, even an identical re-registration or patch, as Instance Updated with nothing changed', () => {
    const replaced = classify(change('register', base, { ...base, registeredAtMs: T + 500, updatedAtMs: T + 500, revision: 11 }))!;
    expect(replaced).toMatchObject({ detailType: 'Instance Updated', detail: { revision: 11, changed: [], reason: 'replaced', eventId: 'orders/a/11' } });
    const patched = classify(change('patch', base, { ...base, updatedAtMs: T + 500, revision: 11 }))!;
    expect(patched).toMatchObject({ detailType: 'Instance Updated', detail: { revision: 11, changed: [], reason: 'patched' } });
  });

  it('publishes a registration over an expired lease as Instance Registered', () => {
    const after = { ...base, registeredAtMs: T + 40_000, revision: 11 };
    expect(classify(change('register', base, after))!.detailType).toBe('Instance Registered');
  });

  it('publishes a change of health alone as Instance Health Changed', () => {
    const event = classify(change('health', base, { ...base, health: 'critical', revision: 11 }))!;
    expect(event.detailType).toBe('Instance Health Changed');
    expect(event.detail).toMatchObject({ changed: ['health'], reason: 'health-check' });
  });

  it('publishes nothing when the registry marks an instance for removal, nor for a patch landing on a marked one', () => {
    expect(classify(change('removal', base, { ...base, removal: 'expired', revision: 11 }))).toBeUndefined();
    expect(classify(change('patch', { ...base, removal: 'critical' }, { ...base, removal: 'critical', weight: 5, revision: 11 }))).toBeUndefined();
  });

  it("publishes nothing for a deregistration's caller stamp (the delete that follows is published)", () => {
    expect(classify(change('deregister', base, base))).toBeUndefined();
  });

  it('classifies an update by the write stamped on it, not by which fields differ', () => {
    // A health mark that left the health as it was (a concurrent mark) is still the prober's, and a patch that only
    // restates values is still a patch.
    expect(classify(change('health', base, { ...base, revision: 11 }))!.detail).toMatchObject({ changed: [], reason: 'health-check' });
    expect(classify(change('register', base, { ...base, revision: 11 }))!.detail).toMatchObject({ changed: [], reason: 'replaced' });
  });

  it('publishes nothing for an update no write stamped (the stream filter drops those too)', () => {
    expect(classify(change(undefined, base, { ...base, weight: 5, revision: 11 }))).toBeUndefined();
  });

  it('publishes removals by their cause, with the next revision and no instance', () => {
    const deleted = classify(change(undefined, base))!;
    expect(deleted.detailType).toBe('Instance Deregistered');
    expect(deleted.detail).toMatchObject({ instance: null, revision: 11, reason: 'deregistered', eventId: 'orders/a/11' });
    expect(classify(change(undefined, { ...base, removal: 'expired' }))!).toMatchObject({
      detailType: 'Instance Expired',
      detail: { reason: 'lease-expired' },
    });
    expect(classify(change(undefined, { ...base, removal: 'critical' }))!).toMatchObject({
      detailType: 'Instance Deregistered',
      detail: { reason: 'critical-too-long' },
    });
    expect(classify(change(undefined, base, undefined, true))!).toMatchObject({ detailType: 'Instance Expired', detail: { reason: 'ttl' } });
  });

  it('publishes the guard engaging and releasing, and nothing for bookkeeping items', () => {
    const state = {
      engaged: true,
      probeEngaged: true,
      leaseEngaged: false,
      failedTargets: 6,
      probedTargets: 10,
      expiredLeases: 0,
      leasedInstances: 0,
      atMs: T,
    };
    expect(classify({ kind: 'protection', shard: 0, state })!.detailType).toBe('Registry Protection Engaged');
    expect(classify({ kind: 'protection', shard: 0, state: { ...state, engaged: false } })!.detailType).toBe('Registry Protection Released');
    expect(classify({ kind: 'other' })).toBeUndefined();
  });
});
