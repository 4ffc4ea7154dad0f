/** The publisher reports when each published instance write happened, for the propagation-lag metric. */
import { draftInstance } from '../../../lambdas/domain/instance.js';
import { publishInOrder, reportPublished, type EventSink } from '../../../lambdas/domain/publisher.js';
import type { StoredChange } from '../../../lambdas/domain/events.js';
import type { Telemetry } from '../../../lambdas/domain/telemetry.js';
import { registerBody } from '@service-registry/contracts';

const T = Date.UTC(2026, 10, 24, 12);
const instance = (id: string, atMs: number) => ({
  ...draftInstance({ service: 'orders', instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'o', atMs),
  revision: 1,
});
const insert = (id: string, atMs: number): StoredChange => ({ kind: 'instance', write: 'register', newImage: instance(id, atMs), byTtl: false, atMs });
const remove = (id: string, atMs: number): StoredChange => ({ kind: 'instance', oldImage: instance(id, T), byTtl: false, atMs });

describe('publishInOrder change times', () => {
  it('gives the write time of each published write and leaves removals out (their time is stamped at publishing)', async () => {
    const sink: EventSink = { put: async (events) => events.map(() => ({ ok: true as const })) };
    const result = await publishInOrder(
      [
        { id: '1', change: insert('a', T + 10) },
        { id: '2', change: remove('b', T + 900) },
        { id: '3', change: insert('c', T + 20) },
      ],
      sink,
    );
    expect(result.published).toBe(3);
    expect(result.changedAtMs).toEqual([T + 10, T + 20]);
  });

  it('leaves out writes that failed to publish', async () => {
    const sink: EventSink = {
      put: async (events) =>
        events.map((e) =>
          (e.detail as { instanceId?: string }).instanceId === 'c' ? { ok: false as const, retryable: false, error: 'X' } : { ok: true as const },
        ),
    };
    const result = await publishInOrder(
      [
        { id: '1', change: insert('a', T + 10) },
        { id: '3', change: insert('c', T + 20) },
      ],
      sink,
      { sleep: async () => undefined },
    );
    expect(result.changedAtMs).toEqual([T + 10]);
  });

  it('observes write → published lag for each and flushes once', () => {
    const seen: Array<[string, number, unknown]> = [];
    let flushes = 0;
    const telemetry: Telemetry = {
      count: (name, _labels, value) => void seen.push([name, value ?? 1, undefined]),
      observe: (name, value, labels) => void seen.push([name, value, labels]),
      flush: () => void flushes++,
    };
    reportPublished(telemetry, { published: 2, errors: [], changedAtMs: [T, T + 250] }, T + 1000);
    expect(seen.filter(([name]) => name === 'PropagationLag')).toEqual([
      ['PropagationLag', 1000, { stage: 'published' }],
      ['PropagationLag', 750, { stage: 'published' }],
    ]);
    expect(flushes).toBe(1);
  });
});
