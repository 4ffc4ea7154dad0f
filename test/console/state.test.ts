/**
 * The console's pure parts, without a browser: the service page applies events by revision as the SDK's cache
 * does (older and duplicate events ignored, removals leave a tombstone, a snapshot in flight does not undo a newer
 * event), and the SSE parser splits a stream however the network cut it.
 */
import type { InstanceEventDetail, InstanceRecord } from '@service-registry/contracts';
import { SseParser } from '../../console/src/sse.js';
import { applyEvent, applySnapshot, emptyView, lagSummary, rows, SeenEvents, snapshotRequested } from '../../console/src/state.js';

const record = (instanceId: string, revision: number, status: 'UP' | 'DRAINING' = 'UP'): InstanceRecord => ({
  service: 'orders',
  instanceId,
  address: '10.0.0.1',
  port: 80,
  protocol: 'http',
  weight: 100,
  tags: [],
  metadata: {},
  status,
  health: 'passing',
  registeredAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:00:00.000Z',
  revision,
});
const event = (instanceId: string, revision: number, instance: InstanceRecord | null, service = 'orders') =>
  ({ service, instanceId, revision, instance, changed: [], reason: 'patched', time: '2026-11-24T10:00:00.000Z' }) as unknown as InstanceEventDetail;

const loaded = (...instances: InstanceRecord[]) => applySnapshot(snapshotRequested(emptyView('orders')), { instances });

describe('the service page', () => {
  it('applies a newer event and ignores an older or duplicate one', () => {
    const view = loaded(record('a', 5));
    const drained = applyEvent(view, event('a', 6, record('a', 6, 'DRAINING')));
    expect(rows(drained).map((i) => i.status)).toEqual(['DRAINING']);
    expect(applyEvent(drained, event('a', 6, record('a', 6, 'UP')))).toBe(drained);
    expect(applyEvent(drained, event('a', 5, record('a', 5, 'UP')))).toBe(drained);
  });

  it('ignores events of other services', () => {
    const view = loaded(record('a', 5));
    expect(applyEvent(view, event('b', 9, { ...record('b', 9), service: 'payments' }, 'payments'))).toBe(view);
  });

  it('keeps a removed instance removed when an older event arrives late, also across a snapshot', () => {
    const removed = applyEvent(loaded(record('a', 5)), event('a', 7, null));
    expect(rows(removed)).toEqual([]);
    expect(rows(applyEvent(removed, event('a', 6, record('a', 6))))).toEqual([]);
    const reloaded = applySnapshot(snapshotRequested(removed), { instances: [] });
    expect(rows(applyEvent(reloaded, event('a', 6, record('a', 6))))).toEqual([]);
  });

  it('does not let a snapshot asked for before an event undo that event', () => {
    const asked = snapshotRequested(loaded(record('a', 5), record('b', 5)));
    const changed = applyEvent(applyEvent(asked, event('a', 6, record('a', 6, 'DRAINING'))), event('c', 8, record('c', 8)));
    const removedToo = applyEvent(changed, event('b', 6, null));
    // The snapshot was read before those changes: it still has a at 5, b, and no c.
    const after = applySnapshot(removedToo, { instances: [record('a', 5), record('b', 5)] });
    expect(rows(after).map((i) => [i.instanceId, i.revision, i.status])).toEqual([
      ['a', 6, 'DRAINING'],
      ['c', 8, 'UP'],
    ]);
  });

  it('takes what a snapshot says when it is newer, and its protection', () => {
    const asked = applyEvent(snapshotRequested(loaded(record('a', 5))), event('a', 6, record('a', 6, 'DRAINING')));
    const protection = { engaged: true, leases: true, probes: false, since: '2026-11-24T10:00:00.000Z' } as const;
    const after = applySnapshot(asked, { instances: [record('a', 7, 'UP')], protection });
    expect(rows(after).map((i) => [i.revision, i.status])).toEqual([[7, 'UP']]);
    expect(after.protection).toEqual(protection);
    expect(applySnapshot(snapshotRequested(after), { instances: [] }).protection).toBeUndefined();
  });

  it('sums up propagation lags as a median and a maximum', () => {
    expect(lagSummary([])).toBeUndefined();
    expect(lagSummary([40, 10, 30, 20])).toEqual({ count: 4, p50: 20, max: 40 });
  });
});

describe('the SSE parser', () => {
  it('splits messages wherever the chunks are cut, with LF, CR or CRLF line ends, skipping comments', () => {
    const stream = 'retry: 1000\n\n: keep-alive\n\nid: 7\r\nevent: Instance Updated\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 8\revent: resync\rdata: {}\r\r';
    for (const size of [1, 2, 3, 7, stream.length]) {
      const parser = new SseParser();
      const messages = [];
      for (let i = 0; i < stream.length; i += size) messages.push(...parser.push(stream.slice(i, i + size)));
      expect(messages).toEqual([
        { id: '7', event: 'Instance Updated', data: '{"a":\n1}' },
        { id: '8', event: 'resync', data: '{}' },
      ]);
      expect(parser.retryMs).toBe(1000);
      expect(parser.lastId).toBe('8');
    }
  });
});

describe('SeenEvents', () => {
  it('lets each eventId through once, forgetting the oldest beyond its capacity', () => {
    // GIVEN a memory of two events
    const seen = new SeenEvents(2);
    // THEN the fast path's copy passes and the stream publisher's copy of the same change does not
    expect([seen.first('orders/a/1'), seen.first('orders/a/1')]).toEqual([true, false]);
    // AND beyond its capacity the oldest id is forgotten (a bounded memory for a tab left open)
    expect([seen.first('orders/a/2'), seen.first('orders/a/3'), seen.first('orders/a/1')]).toEqual([true, true, true]);
    expect(seen.first('orders/a/3')).toBe(false);
  });
});
