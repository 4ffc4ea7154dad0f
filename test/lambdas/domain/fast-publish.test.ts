/** The fast path's publisher: one classification with the stream publisher, PutEvents-sized calls, never a throw, a bounded wait. */
import { jest } from '@jest/globals';
import { registerBody } from '@service-registry/contracts';
import { classify, type ChangeEvent, type StoredChange } from '../../../lambdas/domain/events.js';
import { FAST_PUBLISH_TIMEOUT_MS, FastPublisher } from '../../../lambdas/domain/fast-publish.js';
import { draftInstance } from '../../../lambdas/domain/instance.js';
import type { EventSink } from '../../../lambdas/domain/publisher.js';
import type { Telemetry } from '../../../lambdas/domain/telemetry.js';

const T = Date.UTC(2026, 10, 24, 12);
const registered = (id: string): StoredChange => ({
  kind: 'instance',
  write: 'register',
  newImage: { ...draftInstance({ service: 'orders', instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'o', T), revision: 7 },
  byTtl: false,
  atMs: T,
});

function telemetry() {
  const counts: Record<string, number> = {};
  const t: Telemetry = {
    count: (name, _labels, value = 1) => void (counts[name] = (counts[name] ?? 0) + value),
    observe: () => undefined,
    flush: () => undefined,
  };
  return { t, counts };
}

describe('FastPublisher', () => {
  it('publishes the event the stream publisher would, in calls of at most 10 entries', async () => {
    // GIVEN a sink that accepts everything
    const calls: ChangeEvent[][] = [];
    const sink: EventSink = { put: async (events) => (calls.push([...events]), events.map(() => ({ ok: true as const }))) };
    const { t, counts } = telemetry();
    const changes = Array.from({ length: 23 }, (_, i) => registered(`i-${i}`));

    // WHEN 23 changes are notified
    await new FastPublisher(sink, { telemetry: t }).notify(changes);

    // THEN they went out in calls of 10, 10, 3, each the stream publisher's classification of the same change
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls.flat()).toEqual(changes.map((c) => classify(c)));
    expect(counts.FastPublishFailures).toBeUndefined();
  });

  it('publishes nothing for a change subscribers never see (a heartbeat)', async () => {
    const put = jest.fn<EventSink['put']>();
    const { newImage } = registered('h') as Extract<StoredChange, { kind: 'instance' }>;
    await new FastPublisher({ put }, { telemetry: telemetry().t }).notify([
      { kind: 'instance', write: 'heartbeat', oldImage: newImage!, newImage: newImage!, byTtl: false, atMs: T },
    ]);
    expect(put).not.toHaveBeenCalled();
  });

  it('counts and reports failed entries and a failing sink without throwing', async () => {
    // GIVEN a sink that refuses one entry of the first call and throws on the second
    let call = 0;
    const sink: EventSink = {
      put: async (events) => {
        if (++call === 2) throw Object.assign(new Error('reset'), { name: 'NetworkingError' });
        return events.map((_, i) => (i === 0 ? { ok: false as const, retryable: true, error: 'ThrottlingException: slow down' } : { ok: true as const }));
      },
    };
    const { t, counts } = telemetry();
    const onFailure = jest.fn();

    // WHEN 12 changes are notified
    await expect(
      new FastPublisher(sink, { telemetry: t, onFailure }).notify(Array.from({ length: 12 }, (_, i) => registered(`i-${i}`))),
    ).resolves.toBeUndefined();

    // THEN the 1 refused and the 2 of the failed call are counted and reported, and nothing is retried
    expect(counts.FastPublishFailures).toBe(3);
    expect(onFailure).toHaveBeenCalledWith({ events: 3, errors: ['ThrottlingException: slow down', 'NetworkingError'] });
    expect(call).toBe(2);
  });

  it('stops waiting after its timeout, counting every event as not published', async () => {
    // GIVEN a sink that never answers
    jest.useFakeTimers();
    try {
      const { t, counts } = telemetry();
      const onFailure = jest.fn();
      const notified = new FastPublisher({ put: () => new Promise(() => undefined) }, { telemetry: t, onFailure }).notify([registered('a'), registered('b')]);

      // WHEN the timeout passes
      await jest.advanceTimersByTimeAsync(FAST_PUBLISH_TIMEOUT_MS);

      // THEN the notification has returned, both events counted as failures
      await expect(notified).resolves.toBeUndefined();
      expect(counts.FastPublishFailures).toBe(2);
      expect(onFailure).toHaveBeenCalledWith({ events: 2, errors: [`timed out after ${FAST_PUBLISH_TIMEOUT_MS} ms`] });
    } finally {
      jest.useRealTimers();
    }
  });
});
