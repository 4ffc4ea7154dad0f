/**
 * `Registry.registerMany` / `heartbeatMany` without a server: an in-memory store that applies the same conditions as
 * the DynamoDB adapter's conditional writes (absent, expired or owned by the writer), so each item's outcome, the
 * request-level refusals, the bounded concurrency and the one counter update per batch can be checked directly.
 */
import { registerBody } from '@service-registry/contracts';
import { AddressPolicy } from '../../../lambdas/domain/address-policy.js';
import type { Caller } from '../../../lambdas/domain/caller.js';
import { ConflictError, ForbiddenError, InstanceNotFoundError, ValidationError } from '../../../lambdas/domain/errors.js';
import { type Instance, isExpired, nextInstance } from '../../../lambdas/domain/instance.js';
import type { InstanceStore, WriteGuard, WriteResult } from '../../../lambdas/domain/ports.js';
import { Registry } from '../../../lambdas/domain/registry.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const alice: Caller = { principal: 'alice', services: ['orders'], read: ['orders'], admin: false };
const carol: Caller = { principal: 'carol', services: ['payments'], read: ['payments'], admin: false };
const body = (extra: Record<string, unknown> = {}) => registerBody.parse({ address: '10.0.0.1', port: 8080, leaseSeconds: 30, ...extra });

/** The conditions of the DynamoDB adapter's writes, over a Map; counts writes, and writes in flight. */
class MemoryStore implements Pick<InstanceStore, 'register' | 'heartbeat'> {
  readonly items = new Map<string, Instance>();
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  failing = new Set<string>();

  private async write<T>(id: string, fn: () => T): Promise<T> {
    this.writes++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.inFlight--;
    if (this.failing.has(id)) throw new Error(`throttled: ${id}`);
    return fn();
  }

  private writable(current: Instance | undefined, guard: WriteGuard): boolean {
    return !current || isExpired(current, guard.nowMs) || guard.owner === undefined || current.owner === guard.owner;
  }

  register(draft: Omit<Instance, 'revision'>, guard: WriteGuard): Promise<WriteResult> {
    return this.write(draft.instanceId, () => {
      const current = this.items.get(draft.instanceId);
      if (!this.writable(current, guard)) return { ok: false, current };
      this.items.set(draft.instanceId, nextInstance(current, { kind: 'register', draft }, guard.nowMs));
      return { ok: true, ...(current && { previous: current }) };
    });
  }

  heartbeat(key: { instanceId: string }, guard: WriteGuard) {
    return this.write(key.instanceId, () => {
      const current = this.items.get(key.instanceId);
      if (!current || isExpired(current, guard.nowMs) || current.leaseSeconds === undefined || !this.writable(current, guard)) {
        return { ok: false as const, ...(current && { current }) };
      }
      const instance = nextInstance(current, { kind: 'heartbeat' }, guard.nowMs);
      this.items.set(key.instanceId, instance);
      return { ok: true as const, instance };
    });
  }
}

function setup(bulkConcurrency?: number) {
  const store = new MemoryStore();
  const registry = new Registry({
    store: store as unknown as InstanceStore,
    addressPolicy: new AddressPolicy({ allowLoopback: false, allowCidrs: [] }),
    resolve: async (hostname) => (hostname === 'metadata.example' ? ['169.254.169.254'] : ['10.0.0.7']),
    clock: () => NOW,
    ...(bulkConcurrency !== undefined && { bulkConcurrency }),
  });
  return { store, registry };
}

describe('Registry.registerMany', () => {
  it('registers every item and answers each in the order given, created or replaced', async () => {
    // GIVEN one instance already registered
    const { store, registry } = setup();
    await registry.register(alice, { service: 'orders', instanceId: 'b' }, body());
    store.writes = 0;
    // WHEN three are registered in one batch, one of them the existing one
    const outcomes = await registry.registerMany(alice, 'orders', [
      { instanceId: 'a', body: body() },
      { instanceId: 'b', body: body({ port: 9090 }) },
      { instanceId: 'c', body: body() },
    ]);
    // THEN each is answered in order and stored
    expect(outcomes.map((o) => [o.instanceId, o.ok && o.value.created])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    expect(store.items.get('b')).toMatchObject({ port: 9090, owner: 'alice' });
    // AND each item is exactly one write: no counter write (the stream publisher derives the counters)
    expect(store.writes).toBe(3);
  });

  it("answers a refused address, a hostname resolving to one and someone else's instance as their own errors, registering the rest", async () => {
    const { store, registry } = setup();
    await registry.register({ ...alice, principal: 'bob' }, { service: 'orders', instanceId: 'bobs' }, body());
    const outcomes = await registry.registerMany(alice, 'orders', [
      { instanceId: 'ok', body: body() },
      { instanceId: 'ssrf', body: body({ address: '169.254.169.254' }) },
      { instanceId: 'dns', body: body({ address: 'metadata.example' }) },
      { instanceId: 'bobs', body: body() },
    ]);
    const errors = outcomes.map((o) => (o.ok ? undefined : o.error));
    expect(errors[0]).toBeUndefined();
    expect(errors[1]).toBeInstanceOf(ValidationError);
    expect(errors[2]).toBeInstanceOf(ValidationError);
    expect((errors[2] as ValidationError).problems[0]).toMatchObject({
      field: 'body.address',
      message: expect.stringContaining('resolves to a refused address'),
    });
    expect(errors[3]).toBeInstanceOf(ForbiddenError);
    expect([...store.items.keys()].sort()).toEqual(['bobs', 'ok']);
    expect(store.items.get('bobs')!.owner).toBe('bob');
  });

  it('keeps an unexpected failure of one write to that item', async () => {
    const { store, registry } = setup();
    store.failing.add('b');
    const outcomes = await registry.registerMany(alice, 'orders', [
      { instanceId: 'a', body: body() },
      { instanceId: 'b', body: body() },
    ]);
    expect(outcomes[0]).toMatchObject({ instanceId: 'a', ok: true });
    expect(outcomes[1]).toMatchObject({ instanceId: 'b', ok: false, error: new Error('throttled: b') });
    expect([...store.items.keys()]).toEqual(['a']);
  });

  it('refuses a caller who may not write the service as a whole, before any write', async () => {
    const { store, registry } = setup();
    await expect(registry.registerMany(carol, 'orders', [{ instanceId: 'a', body: body() }])).rejects.toBeInstanceOf(ForbiddenError);
    // An empty batch (every item refused by the edge's validation) is refused the same way.
    await expect(registry.registerMany(carol, 'orders', [])).rejects.toBeInstanceOf(ForbiddenError);
    expect(store.items.size).toBe(0);
  });

  it('refuses duplicate ids and more than 100 items as a whole, before any write', async () => {
    const { store, registry } = setup();
    await expect(
      registry.registerMany(alice, 'orders', [
        { instanceId: 'a', body: body() },
        { instanceId: 'a', body: body() },
      ]),
    ).rejects.toThrow("instance id 'a' is given more than once");
    const many = Array.from({ length: 101 }, (_, i) => ({ instanceId: `i-${i}`, body: body() }));
    await expect(registry.registerMany(alice, 'orders', many)).rejects.toBeInstanceOf(ValidationError);
    expect(store.items.size).toBe(0);
  });

  it('writes no more items at once than its concurrency', async () => {
    const { store, registry } = setup(4);
    const items = Array.from({ length: 20 }, (_, i) => ({ instanceId: `i-${i}`, body: body() }));
    const outcomes = await registry.registerMany(alice, 'orders', items);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(store.maxInFlight).toBe(4);
  });
});

describe('Registry.heartbeatMany', () => {
  it("renews each live lease and answers gone, foreign and probe-driven instances with a single heartbeat's errors", async () => {
    const { store, registry } = setup();
    await registry.register(alice, { service: 'orders', instanceId: 'live' }, body());
    await registry.register({ ...alice, principal: 'bob' }, { service: 'orders', instanceId: 'bobs' }, body());
    await registry.register(alice, { service: 'orders', instanceId: 'probed' }, body({ leaseSeconds: undefined, healthCheck: { type: 'tcp' } }));
    const outcomes = await registry.heartbeatMany(alice, 'orders', ['live', 'gone', 'bobs', 'probed']);
    expect(outcomes[0]).toMatchObject({ instanceId: 'live', ok: true, value: { leaseExpiresAtMs: NOW + 30_000 } });
    expect(outcomes.slice(1).map((o) => (o.ok ? undefined : o.error?.constructor))).toEqual([InstanceNotFoundError, ForbiddenError, ConflictError]);
    expect(store.items.get('bobs')!.owner).toBe('bob');
  });

  it('refuses a caller who may not write the service, and duplicate ids, before any write', async () => {
    const { registry } = setup();
    await expect(registry.heartbeatMany(carol, 'orders', ['a'])).rejects.toBeInstanceOf(ForbiddenError);
    await expect(registry.heartbeatMany(alice, 'orders', ['a', 'a'])).rejects.toBeInstanceOf(ValidationError);
  });
});
