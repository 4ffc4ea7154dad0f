/** The history's rules without a server: who made a change, the entry of a stream record, `since`, batch failures. */
import type { Instance } from '../../../lambdas/domain/instance.js';
import {
  historyItemOf,
  principalOf,
  recordHistory,
  sinceMs,
  type HistoryChange,
  type HistoryItem,
  type HistoryStore,
} from '../../../lambdas/domain/history.js';
import { ValidationError } from '../../../lambdas/domain/errors.js';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const instance = (overrides: Partial<Instance> = {}): Instance => ({
  service: 'orders',
  instanceId: 'o-1',
  address: '10.0.0.1',
  port: 80,
  protocol: 'http',
  weight: 100,
  tags: [],
  metadata: {},
  status: 'UP',
  health: 'passing',
  registeredAtMs: T0,
  updatedAtMs: T0,
  revision: T0 * 1000 + 1,
  owner: 'alice',
  ...overrides,
});

describe('principalOf', () => {
  const modify = { kind: 'instance', oldImage: instance(), newImage: instance(), write: 'patch', byTtl: false, atMs: T0 } as const;
  const remove = { kind: 'instance', oldImage: instance(), byTtl: false, atMs: T0 } as const;

  it('names the caller stamped on the item, not its owner', () => {
    expect(principalOf(modify, { lastWriter: 'alice' }, { lastWrite: 'patch', lastWriter: 'root', owner: 'alice' })).toBe('root');
  });

  it('names the prober for a health mark, whoever wrote the item before', () => {
    expect(principalOf({ ...modify, write: 'health' }, undefined, { lastWrite: 'health', lastWriter: 'root' })).toBe('registry:prober');
  });

  it("names the sweeper for the delete of an item it marked, and the deregistering caller even over the sweeper's mark", () => {
    expect(principalOf(remove, { lastWrite: 'removal', lastWriter: 'alice', removal: 'expired' }, undefined)).toBe('registry:sweeper');
    expect(principalOf(remove, { lastWrite: 'heartbeat', lastWriter: 'alice', removal: 'critical' }, undefined)).toBe('registry:sweeper');
    expect(principalOf(remove, { lastWrite: 'deregister', lastWriter: 'root', removal: 'critical' }, undefined)).toBe('root');
  });

  it('names DynamoDB TTL for a delete the stream attributes to it', () => {
    expect(principalOf({ ...remove, byTtl: true }, { lastWrite: 'deregister', lastWriter: 'root' }, undefined)).toBe('registry:ttl');
  });

  it('falls back to the owner for items written before writers were stamped', () => {
    expect(principalOf({ kind: 'instance', newImage: instance(), write: 'register', byTtl: false, atMs: T0 }, undefined, { owner: 'alice' })).toBe('alice');
  });
});

describe('historyItemOf', () => {
  it('keys a removal by the record, never by the clock, so a retried batch writes the same entry', () => {
    // GIVEN a REMOVE record created in the second after the last write
    const before = instance({ updatedAtMs: T0 + 400 });
    const record: HistoryChange = {
      id: '1',
      change: { kind: 'instance', oldImage: before, byTtl: false, atMs: Date.now() },
      oldStamp: { lastWrite: 'deregister', lastWriter: 'root', updatedAtMs: T0 + 400 },
      recordedAtMs: T0, // whole seconds, as in AWS: earlier than the last write
    };
    // WHEN it is mapped twice, later
    const first = historyItemOf(record);
    const again = historyItemOf({ ...record, change: { ...record.change, atMs: Date.now() + 60_000 } as HistoryChange['change'] });
    // THEN both are the same entry, after the last write, one revision past it
    expect(again).toEqual(first);
    expect(first).toMatchObject({
      detailType: 'Instance Deregistered',
      principal: 'root',
      revision: before.revision + 1,
      atMs: T0 + 401,
      time: new Date(T0 + 401).toISOString(),
    });
  });

  it('keeps no entry for a lease renewal (no revision bump)', () => {
    const before = instance();
    const after = instance({ leaseExpiresAtMs: T0 + 30_000 });
    expect(
      historyItemOf({ id: '1', change: { kind: 'instance', oldImage: before, newImage: after, write: 'heartbeat', byTtl: false, atMs: T0 }, recordedAtMs: T0 }),
    ).toBeUndefined();
  });

  it('records the fields a patch changed', () => {
    const before = instance();
    const after = instance({ status: 'DRAINING', revision: before.revision + 1, updatedAtMs: T0 + 5 });
    const item = historyItemOf({
      id: '1',
      change: { kind: 'instance', oldImage: before, newImage: after, write: 'patch', byTtl: false, atMs: T0 + 5 },
      newStamp: { lastWrite: 'patch', lastWriter: 'root' },
      recordedAtMs: T0,
    });
    expect(item).toMatchObject({
      detailType: 'Instance Updated',
      changed: ['status'],
      reason: 'patched',
      principal: 'root',
      time: new Date(T0 + 5).toISOString(),
    });
  });
});

describe('recordHistory', () => {
  const change = (n: number): HistoryChange => ({
    id: String(n),
    change: { kind: 'instance', newImage: instance({ instanceId: `o-${n}` }), write: 'register', byTtl: false, atMs: T0 },
    recordedAtMs: T0,
  });

  it('reports the first record of the chunk that failed, after writing the chunks before it', async () => {
    // GIVEN a store that fails its second call
    const written: HistoryItem[][] = [];
    const store: HistoryStore = {
      put: async (items) => {
        if (written.length === 1) throw new Error('ProvisionedThroughputExceededException');
        written.push([...items]);
      },
      page: async () => ({ items: [] }),
    };
    // WHEN 5 changes are recorded 2 per call
    const result = await recordHistory([1, 2, 3, 4, 5].map(change), store, 2);
    // THEN the first chunk is written and the batch is retried from record 3
    expect(written.map((chunk) => chunk.map((i) => i.instanceId))).toEqual([['o-1', 'o-2']]);
    expect(result).toMatchObject({ written: 2, failedRecordId: '3' });
  });
});

describe('sinceMs', () => {
  it('reads a duration back from now and an ISO time as is', () => {
    expect(sinceMs('90m', T0)).toBe(T0 - 90 * 60_000);
    expect(sinceMs('7d', T0)).toBe(T0 - 7 * 86_400_000);
    expect(sinceMs('2026-11-24T09:00:00Z', T0)).toBe(T0 - 3_600_000);
  });

  it('refuses anything else, naming query.since', () => {
    expect(() => sinceMs('yesterday', T0)).toThrow(ValidationError);
  });
});
