import { classify, type StoredChange } from '../../lambdas/domain/events.js';
import { draftInstance, type Instance } from '../../lambdas/domain/instance.js';
import { registerBody } from '@service-registry/contracts';

const T = Date.UTC(2026, 10, 24, 12);
const base: Instance = {
  ...draftInstance({ service: 'orders', instanceId: 'a' }, registerBody.parse({ address: '10.0.0.1', port: 80, leaseSeconds: 30 }), 'alice', T),
  revision: 10,
};
const change = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', oldImage?: Instance, newImage?: Instance, byTtl = false): StoredChange => ({
  kind: 'instance',
  eventName,
  ...(oldImage && { oldImage }),
  ...(newImage && { newImage }),
  byTtl,
  atMs: T + 1000,
});

describe('classify', () => {
  it('publishes a new item as Instance Registered', () => {
    const event = classify(change('INSERT', undefined, base))!;
    expect(event.detailType).toBe('Instance Registered');
    expect(event.detail).toMatchObject({ eventId: 'orders/a/10', revision: 10, reason: 'registered', changed: [] });
  });

  it('publishes nothing for a heartbeat (lease moved, revision did not)', () => {
    expect(classify(change('MODIFY', base, { ...base, leaseExpiresAtMs: T + 60_000 }))).toBeUndefined();
  });

  it('publishes a patch of weight, tags, metadata or status as Instance Updated naming the fields', () => {
    const after = { ...base, weight: 5, tags: ['x'], revision: 11 };
    const event = classify(change('MODIFY', base, after))!;
    expect(event.detailType).toBe('Instance Updated');
    expect(event.detail).toMatchObject({ changed: ['weight', 'tags'], reason: 'patched', revision: 11 });
    expect(classify(change('MODIFY', base, { ...base, status: 'DRAINING', revision: 11 }))!.detail).toMatchObject({ changed: ['status'] });
  });

  it('publishes a replace with a new address as Instance Updated, reason replaced', () => {
    const after = { ...base, address: '10.0.0.2', registeredAtMs: T + 500, revision: 11 };
    expect(classify(change('MODIFY', base, after))!.detail).toMatchObject({ changed: ['address'], reason: 'replaced' });
  });

  it('publishes every revision bump, even an identical re-registration or patch, as Instance Updated with nothing changed', () => {
    const replaced = classify(change('MODIFY', base, { ...base, registeredAtMs: T + 500, updatedAtMs: T + 500, revision: 11 }))!;
    expect(replaced).toMatchObject({ detailType: 'Instance Updated', detail: { revision: 11, changed: [], reason: 'replaced', eventId: 'orders/a/11' } });
    const patched = classify(change('MODIFY', base, { ...base, updatedAtMs: T + 500, revision: 11 }))!;
    expect(patched).toMatchObject({ detailType: 'Instance Updated', detail: { revision: 11, changed: [], reason: 'patched' } });
  });

  it('publishes a registration over an expired lease as Instance Registered', () => {
    const after = { ...base, registeredAtMs: T + 40_000, revision: 11 };
    expect(classify(change('MODIFY', base, after))!.detailType).toBe('Instance Registered');
  });

  it('publishes a change of health alone as Instance Health Changed', () => {
    const event = classify(change('MODIFY', base, { ...base, health: 'critical', revision: 11 }))!;
    expect(event.detailType).toBe('Instance Health Changed');
    expect(event.detail).toMatchObject({ changed: ['health'], reason: 'health-check' });
  });

  it('publishes nothing when the registry marks an instance for removal', () => {
    expect(classify(change('MODIFY', base, { ...base, removal: 'expired', revision: 11 }))).toBeUndefined();
  });

  it('publishes removals by their cause, with the next revision and no instance', () => {
    const deleted = classify(change('REMOVE', base))!;
    expect(deleted.detailType).toBe('Instance Deregistered');
    expect(deleted.detail).toMatchObject({ instance: null, revision: 11, reason: 'deregistered', eventId: 'orders/a/11' });
    expect(classify(change('REMOVE', { ...base, removal: 'expired' }))!).toMatchObject({ detailType: 'Instance Expired', detail: { reason: 'lease-expired' } });
    expect(classify(change('REMOVE', { ...base, removal: 'critical' }))!).toMatchObject({ detailType: 'Instance Deregistered', detail: { reason: 'critical-too-long' } });
    expect(classify(change('REMOVE', base, undefined, true))!).toMatchObject({ detailType: 'Instance Expired', detail: { reason: 'ttl' } });
  });

  it('publishes the guard engaging and releasing, and nothing for bookkeeping items', () => {
    const state = { engaged: true, probeEngaged: true, leaseEngaged: false, failedTargets: 6, probedTargets: 10, expiredLeases: 0, leasedInstances: 0 };
    expect(classify({ kind: 'protection', engaged: true, state, atMs: T })!.detailType).toBe('Registry Protection Engaged');
    expect(classify({ kind: 'protection', engaged: false, state: { ...state, engaged: false }, atMs: T })!.detailType).toBe('Registry Protection Released');
    expect(classify({ kind: 'other' })).toBeUndefined();
  });
});
