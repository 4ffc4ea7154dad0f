/** The service counters derived from the stream: exact under the event source's replays (whole or partial). */
import { registerBody } from '@service-registry/contracts';
import type { StoredChange } from '../../../lambdas/domain/events.js';
import { draftInstance, type Instance } from '../../../lambdas/domain/instance.js';
import { countFromStream, countedChange, streamPosition, type CountedRecord } from '../../../lambdas/domain/stream-counters.js';
import { MemoryCounters } from './memory-counters.js';

const T = Date.UTC(2026, 10, 24, 12);
const instance = (service: string, id: string, extra: Partial<Instance> = {}): Instance => ({
  ...draftInstance({ service, instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'o', T),
  revision: 1,
  ...extra,
});
const change = (oldImage?: Instance, newImage?: Instance, byTtl = false): StoredChange => ({
  kind: 'instance',
  ...(oldImage && { oldImage }),
  ...(newImage && { newImage }),
  byTtl,
  atMs: T,
});
/** Sequence numbers as the stream writes them: 21+ digits. */
const seq = (n: number) => `4000000000000000000${String(n).padStart(4, '0')}`;
const records = (...changes: StoredChange[]): CountedRecord[] => changes.map((c, i) => ({ id: seq(i + 1), change: c }));

// A service's life: a, b registered; b drained (UP → DRAINING); a critical (prober); c registered; a swept; c expires by TTL.
const a = instance('orders', 'a');
const b = instance('orders', 'b');
const c = instance('orders', 'c');
const life = records(
  change(undefined, a),
  change(undefined, b),
  change(b, { ...b, status: 'DRAINING' }),
  change(a, { ...a, health: 'critical' }),
  change(undefined, c),
  change({ ...a, health: 'critical', removal: 'critical' }, undefined),
  change(c, undefined, true),
);

describe('countFromStream', () => {
  it('counts registrations, patches, health marks, sweeps and TTL deletions into total and healthy', async () => {
    const store = new MemoryCounters();
    await countFromStream(life, store);
    expect(store.of('orders')).toEqual({ total: 1, healthy: 0 });
  });

  it("writes each service's counters once per batch", async () => {
    const store = new MemoryCounters();
    const other = instance('payments', 'x');
    const result = await countFromStream([...life, { id: seq(50), change: change(undefined, other) }], store);
    expect(result).toEqual({ writes: 2, errors: [] });
    expect(store.of('payments')).toEqual({ total: 1, healthy: 1 });
  });

  it('counts nothing twice when the whole batch is delivered again', async () => {
    const store = new MemoryCounters();
    await countFromStream(life, store);
    await countFromStream(life, store);
    expect(store.of('orders')).toEqual({ total: 1, healthy: 0 });
  });

  it('counts only the new records of a batch retried from a failed record that continues past the last one counted', async () => {
    // GIVEN the first four records counted
    const store = new MemoryCounters();
    await countFromStream(life.slice(0, 4), store);
    expect(store.of('orders')).toEqual({ total: 2, healthy: 0 });
    // WHEN a batch starting at the third record (a retry from it) brings the rest
    await countFromStream(life.slice(2), store);
    // THEN the counters are as if every record came once
    expect(store.of('orders')).toEqual({ total: 1, healthy: 0 });
  });

  it('reports the earliest record of a service whose write failed, counts the others, and is exact after the retry', async () => {
    // GIVEN a batch of two services whose orders write is throttled once
    const store = new MemoryCounters();
    const x = instance('payments', 'x');
    const batch: CountedRecord[] = [{ id: seq(1), change: change(undefined, x) }, ...life.map((r, i) => ({ ...r, id: seq(i + 2) }))];
    store.failing.add('orders');
    // WHEN it is counted
    const first = await countFromStream(batch, store);
    // THEN orders is reported by its first record, payments is counted
    expect(first).toMatchObject({ failedRecordId: seq(2), errors: ['ProvisionedThroughputExceededException'] });
    expect(store.of('payments')).toEqual({ total: 1, healthy: 1 });
    // AND the retry from that record leaves both exact
    expect(await countFromStream(batch.slice(1), store)).toMatchObject({ errors: [] });
    expect(store.of('orders')).toEqual({ total: 1, healthy: 0 });
    expect(store.of('payments')).toEqual({ total: 1, healthy: 1 });
  });

  it('advances the mark when a batch sums to no change, so a retry of its second half counts nothing', async () => {
    // A registration and its deregistration in one batch add up to nothing, yet both are counted.
    const store = new MemoryCounters();
    const pair = records(change(undefined, a), change(a, undefined));
    await countFromStream(pair, store);
    await countFromStream(pair.slice(1), store);
    expect(store.of('orders')).toEqual({ total: 0, healthy: 0 });
  });

  it('writes nothing for records that change no counter (weight, metadata, another kind of item)', async () => {
    const store = new MemoryCounters();
    const result = await countFromStream(records(change(a, { ...a, weight: 5 }), { kind: 'other' }), store);
    expect(result.writes).toBe(0);
    expect(countedChange(change(a, { ...a, metadata: { v: '2' } }))).toBeUndefined();
  });
});

describe('streamPosition', () => {
  it('orders sequence numbers of different lengths as numbers, up to the 40 digits the API allows', () => {
    const short = '9'.repeat(21);
    const long = `1${'0'.repeat(39)}`;
    expect(streamPosition(long) > streamPosition(short)).toBe(true);
    expect(streamPosition(long)).toHaveLength(40);
  });

  it('refuses what is not a sequence number', () => {
    expect(() => streamPosition('12a')).toThrow(/not a stream sequence number/);
    expect(() => streamPosition('1'.repeat(41))).toThrow(/not a stream sequence number/);
  });
});
