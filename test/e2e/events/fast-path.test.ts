/**
 * The fast path of change events, end to end through the local runtime: the writing functions publish each change
 * right after the write, the stream publisher publishes the same event again (the backstop), and subscribers keep
 * one copy (the bus by `eventId`, the SDK's cache by `revision`). A failing fast path never fails the write.
 */
import { RegistryClient, ServiceCache, SseFeed, type RegistryEvent } from '@service-registry/client';
import type { BusEvent } from '../../../local/event-bus.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import type { ChangeEvent } from '../../../lambdas/domain/events.js';
import type { EventSink } from '../../../lambdas/domain/publisher.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../../support.js';

const body = { address: '10.0.0.1', port: 80, leaseSeconds: 60 };

/** Every entry the bus accepted, in arrival order, and the events the fast path sent. */
function watch(runtime: LocalRuntime, fastSent: ChangeEvent[] = []) {
  const accepted: Array<{ event: BusEvent; duplicate: boolean }> = [];
  runtime.bus.observe = (event, duplicate) => accepted.push({ event, duplicate });
  const copies = (eventId: string) => accepted.filter((a) => a.event.detail.eventId === eventId);
  const until = async (condition: () => boolean, what: string) => {
    for (const started = Date.now(); !condition(); await sleep(10)) if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
  };
  return { accepted, copies, fastSent, until };
}

/** A sink that records what the fast path sends, then sends it. */
const recording =
  (sent: ChangeEvent[]) =>
  (sink: EventSink): EventSink => ({
    put: (events) => {
      sent.push(...events);
      return sink.put(events);
    },
  });

describe('with the fast path', () => {
  let runtime: LocalRuntime;
  const fastSent: ChangeEvent[] = [];
  beforeAll(async () => {
    runtime = await startTestRuntime({ prober: false, fastPublishSink: recording(fastSent) });
  });
  afterAll(async () => {
    await runtime.stop();
  });

  it('publishes register, bulk register, patch and deregister at once, and the stream publisher sends the same events again', async () => {
    // GIVEN a bus that records every accepted entry
    const bus = watch(runtime, fastSent);
    const api = apiClient(runtime.url);

    // WHEN each kind of write is made
    const created = await api.register('fast', 'f-1', body);
    const replaced = await api.register('fast', 'f-1', { ...body, port: 81 });
    const bulk = await api.call('PUT', '/v1/services/fast/instances', {
      instances: [
        { instanceId: 'f-2', ...body },
        { instanceId: 'f-3', ...body },
      ],
    });
    const patched = await api.patch('fast', 'f-1', { weight: 7 });
    const removed = await api.deregister('fast', 'f-2');
    expect([created.status, replaced.status, bulk.status, patched.status, removed.status]).toEqual([201, 200, 200, 200, 204]);

    // THEN the fast path sent one event per change, each answered by the stream publisher's copy of it
    const ids = [
      `fast/f-1/${created.body.revision}`,
      `fast/f-1/${replaced.body.revision}`,
      `fast/f-2/${bulk.body.results[0].instance.revision}`,
      `fast/f-3/${bulk.body.results[1].instance.revision}`,
      `fast/f-1/${patched.body.revision}`,
      `fast/f-2/${bulk.body.results[0].instance.revision + 1}`,
    ];
    expect(fastSent.map((e) => e.detail.eventId).sort()).toEqual([...ids].sort());
    await bus.until(() => ids.every((id) => bus.copies(id).length === 2), 'the stream copies');
    for (const id of ids) {
      const [first, second] = bus.copies(id);
      // The first copy is fanned out, the second recognised as a duplicate: the same event, only EventBridge's
      // delivery id differs.
      expect([first!.duplicate, second!.duplicate]).toEqual([false, true]);
      const { id: _a, ...firstEvent } = first!.event;
      const { id: _b, ...secondEvent } = second!.event;
      expect(secondEvent).toEqual(firstEvent);
    }
    expect(bus.copies(ids[5]!)[0]!.event['detail-type']).toBe('Instance Deregistered');
    expect(bus.copies(ids[4]!)[0]!.event.detail).toMatchObject({ changed: ['weight'], reason: 'patched' });
  });

  it('sends a subscriber each change once', async () => {
    // GIVEN a subscriber of the service
    const feed = await subscribe(runtime.url, 'service=once');
    const bus = watch(runtime);
    const api = apiClient(runtime.url);

    // WHEN an instance is registered and patched, and both stream copies have reached the bus
    const created = await api.register('once', 'o-1', body);
    const patched = await api.patch('once', 'o-1', { weight: 2 });
    const ids = [`once/o-1/${created.body.revision}`, `once/o-1/${patched.body.revision}`];
    await bus.until(() => ids.every((id) => bus.copies(id).length === 2), 'the stream copies');
    await api.register('other', 'marker', body); // a later event on the same bus, to know the feed is past them
    await bus.until(() => bus.accepted.some((a) => a.event.detail.service === 'other' && a.duplicate), 'the marker');

    // THEN the subscriber got each change exactly once
    expect(feed.messages.map((m) => m.data.detail.eventId)).toEqual(ids);
    feed.close();
  });

  it('applies a change to the SDK cache once, and a duplicate or older event never regresses it, nor brings back a removed instance', async () => {
    // GIVEN a cache fed by the SSE feed
    const client = new RegistryClient({ baseUrl: runtime.url });
    const applied: RegistryEvent[] = [];
    const cache = new ServiceCache({ client, service: 'cached' });
    await cache.start();
    const feed = new SseFeed({ baseUrl: runtime.url, services: ['cached'] });
    const handlers = cache.feedHandlers();
    feed.start({
      ...handlers,
      onEvent: (event) => {
        if (cache.apply(event)) applied.push(event);
      },
    });
    await sleep(200);
    const bus = watch(runtime);
    const api = apiClient(runtime.url);

    // WHEN an instance is registered then patched, and every copy has arrived
    const created = await api.register('cached', 'c-1', body);
    const patched = await api.patch('cached', 'c-1', { weight: 9 });
    const ids = [`cached/c-1/${created.body.revision}`, `cached/c-1/${patched.body.revision}`];
    await bus.until(() => ids.every((id) => bus.copies(id).length === 2), 'the stream copies');
    await bus.until(() => cache.instances()[0]?.revision === patched.body.revision, 'the cache');

    // THEN each change was applied once
    expect(applied.map((e) => e.detail.eventId)).toEqual(ids);
    // AND a late copy of either (as EventBridge → SQS may deliver, in any order) changes nothing
    const asDelivered = (copy: { event: BusEvent }) => copy.event as unknown as RegistryEvent;
    expect(cache.apply(asDelivered(bus.copies(ids[1]!)[1]!))).toBe(false);
    expect(cache.apply(asDelivered(bus.copies(ids[0]!)[1]!))).toBe(false);
    expect(cache.instances()).toEqual([expect.objectContaining({ instanceId: 'c-1', revision: patched.body.revision, weight: 9 })]);

    // WHEN it is deregistered
    await api.deregister('cached', 'c-1');
    await bus.until(() => cache.instances().length === 0, 'the removal');
    // THEN a late duplicate of an older change does not bring it back
    expect(cache.apply(asDelivered(bus.copies(ids[1]!)[0]!))).toBe(false);
    expect(cache.apply(asDelivered(bus.copies(ids[0]!)[1]!))).toBe(false);
    expect(cache.instances()).toEqual([]);
    await feed.stop();
    cache.stop();
  });
});

describe('under PutEvents faults on both paths', () => {
  it('delivers every acknowledged revision once, and a subscriber applying by revision ends at the last one', async () => {
    // GIVEN a bus that throttles, fails or refuses entries at random, whoever sends them
    const runtime = await startTestRuntime({ prober: false, streamRetryBaseMs: 10 });
    try {
      let seed = 11;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let faults = 0;
      runtime.bus.fault = (entry) => {
        if (entry.DetailType === 'Registry Resync Required') return undefined;
        const roll = random();
        if (roll < 0.1) return (void faults++, 'ThrottlingException');
        if (roll < 0.13) return (void faults++, 'InternalFailure');
        if (roll < 0.14) return (void faults++, 'AccessDeniedException');
        return undefined;
      };
      const feed = await subscribe(runtime.url, 'service=faulty');
      const api = apiClient(runtime.url);

      // WHEN 10 instances are registered and patched 20 times each, several at a time
      const acknowledged = new Map<string, number[]>();
      await Promise.all(
        Array.from({ length: 10 }, async (_, n) => {
          const id = `f-${n}`;
          const revisions = [(await api.register('faulty', id, body)).body.revision as number];
          for (let w = 1; w <= 20; w++) revisions.push((await api.patch('faulty', id, { weight: w })).body.revision);
          acknowledged.set(id, revisions);
        }),
      );

      // THEN every acknowledged revision arrives exactly once (order per instance is the stream publisher's alone)
      const expected = [...acknowledged].flatMap(([id, revisions]) => revisions.map((r) => `faulty/${id}/${r}`));
      const received: string[] = [];
      const held = new Map<string, number>();
      while (received.length < expected.length) {
        // (`Registry Resync Required` events come too, when the stream publisher stops on a refused entry)
        const { detail } = (await feed.next((m) => m.event?.startsWith('Instance ') === true, 30_000)).data;
        received.push(detail.eventId);
        // AND a subscriber applying by revision (as the SDK's cache does) ends up at each instance's last one
        if (detail.revision > (held.get(detail.instanceId) ?? -1)) held.set(detail.instanceId, detail.revision);
      }
      expect(faults).toBeGreaterThan(0);
      expect([...received].sort()).toEqual([...expected].sort());
      for (const [id, revisions] of acknowledged) expect(held.get(id)).toBe(revisions.at(-1));
      feed.close();
    } finally {
      runtime.bus.fault = undefined;
      await runtime.stop();
    }
  }, 120_000);
});

describe('when the fast path fails', () => {
  const failures = {
    throws: (): EventSink => ({ put: () => Promise.reject(Object.assign(new Error('connection reset'), { name: 'NetworkingError' })) }),
    'rejects every entry': (): EventSink => ({
      put: async (events) => events.map(() => ({ ok: false, retryable: true, error: 'ThrottlingException: rate exceeded' })),
    }),
    'never answers': (): EventSink => ({ put: () => new Promise(() => undefined) }),
  };

  it.each(Object.keys(failures) as Array<keyof typeof failures>)(
    'acknowledges the write and the stream publisher delivers the event when it %s',
    async (kind) => {
      // GIVEN a runtime whose fast path fails that way
      const runtime = await startTestRuntime({ prober: false, fastPublishSink: failures[kind] });
      try {
        const feed = await subscribe(runtime.url, 'service=backstop');
        const bus = watch(runtime);
        const api = apiClient(runtime.url);

        // WHEN an instance is registered and deregistered
        const created = await api.register('backstop', 'b-1', body);
        const removed = await api.deregister('backstop', 'b-1');

        // THEN both writes succeeded, and the subscriber still gets both events, once each, from the stream publisher
        expect([created.status, removed.status]).toEqual([201, 204]);
        expect((await feed.next()).data.detail).toMatchObject({ eventId: `backstop/b-1/${created.body.revision}`, reason: 'registered' });
        expect((await feed.next()).data.detail).toMatchObject({ eventId: `backstop/b-1/${created.body.revision + 1}`, reason: 'deregistered' });
        expect(bus.accepted.filter((a) => a.duplicate)).toEqual([]);
        feed.close();
      } finally {
        await runtime.stop();
      }
    },
  );
});
