/**
 * Fault-injected publishing through the local runtime: PutEvents entries are throttled, fail internally, or are
 * refused outright at random (the local bus's fault hook), over thousands of changes; an SSE subscriber checks
 * that every acknowledged revision arrives and that no instance's revision ever goes backwards.
 */
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../../support.js';

let runtime: LocalRuntime;

beforeAll(async () => {
  // The stream publisher's guarantees under faults, so its alone: with the fast path on, a newer revision whose fast
  // publish went through can reach the bus before the stream's copy of an older one whose fast publish failed
  // (subscribers apply by revision; fast-path.test.ts covers faults with the fast path on).
  runtime = await startTestRuntime({ prober: false, streamRetryBaseMs: 10, fastPublish: false });
});
afterAll(async () => {
  runtime.bus.fault = undefined;
  await runtime.stop();
});

it('publishes every acknowledged change under PutEvents faults, never a revision before an older one of the same instance', async () => {
  const api = apiClient(runtime.url);
  const INSTANCES = 40;
  const PATCHES = 50; // 40 registrations + 2,000 patches = 2,040 changes
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const faults = { throttled: 0, internal: 0, refused: 0 };
  runtime.bus.fault = (entry) => {
    if (entry.DetailType === 'Registry Resync Required') return undefined;
    const roll = random();
    if (roll < 0.1) return (void faults.throttled++, 'ThrottlingException');
    if (roll < 0.13) return (void faults.internal++, 'InternalFailure');
    if (roll < 0.14) return (void faults.refused++, 'AccessDeniedException'); // not retryable: the batch stops there
    return undefined;
  };
  const feed = await subscribe(runtime.url, 'service=faulty');

  // Prepare: every instance is changed again and again, several instances at a time, as a busy fleet would.
  const acknowledged = new Map<string, Set<number>>();
  const ack = (id: string, revision: number) => acknowledged.set(id, (acknowledged.get(id) ?? new Set()).add(revision));
  await Promise.all(
    Array.from({ length: INSTANCES }, async (_, n) => {
      const id = `f-${n}`;
      const created = await api.register('faulty', id, { address: '10.0.0.1', port: 80, leaseSeconds: 600 });
      expect(created.status).toBe(201);
      ack(id, created.body.revision);
      for (let w = 1; w <= PATCHES; w++) {
        const patched = await api.patch('faulty', id, { weight: w });
        expect(patched.status).toBe(200);
        ack(id, patched.body.revision);
      }
    }),
  );
  const changes = [...acknowledged.values()].reduce((n, s) => n + s.size, 0);

  // Act: wait until the subscriber has every acknowledged revision.
  const seen = new Map<string, number[]>();
  const missing = () => [...acknowledged].reduce((n, [id, revisions]) => n + [...revisions].filter((r) => !seen.get(id)?.includes(r)).length, 0);
  const deadline = Date.now() + 90_000;
  let consumed = 0;
  while (missing() > 0 && Date.now() < deadline) {
    const message = await feed.next(undefined, Math.max(1, deadline - Date.now())).catch(() => undefined);
    if (!message) break;
    consumed++;
    if (!message.event?.startsWith('Instance ')) continue;
    const { instanceId, revision } = message.data.detail;
    seen.set(instanceId, [...(seen.get(instanceId) ?? []), revision]);
  }
  feed.close();

  // Assess: nothing missing, nothing reversed; duplicates are allowed (same eventId) and reported.
  let reversed = 0;
  let duplicates = 0;
  for (const revisions of seen.values()) {
    for (let i = 1; i < revisions.length; i++) {
      if (revisions[i]! < revisions[i - 1]!) reversed++;
      if (revisions[i] === revisions[i - 1]) duplicates++;
    }
  }
  console.log(
    `fault run: ${changes} changes, ${consumed} events consumed, faults ${JSON.stringify(faults)}, missing ${missing()}, duplicates ${duplicates}, reversed ${reversed}`,
  );
  // Every write was acknowledged with the next revision of its instance (no lost or repeated revision)...
  for (const revisions of acknowledged.values()) {
    const sorted = [...revisions].sort((a, b) => a - b);
    expect(sorted.at(-1)! - sorted[0]!).toBe(PATCHES);
  }
  expect(changes).toBe(INSTANCES * (PATCHES + 1));
  // ...and a subscriber applying by revision ends up holding each instance's last one.
  for (const [id, revisions] of acknowledged) expect(Math.max(...(seen.get(id) ?? [0]))).toBe(Math.max(...revisions));
  expect(faults.throttled).toBeGreaterThan(0);
  expect(faults.internal).toBeGreaterThan(0);
  expect(faults.refused).toBeGreaterThan(0);
  expect(missing()).toBe(0);
  expect(reversed).toBe(0);
}, 180_000);

it('loses nothing through a full PutEvents outage, Registry Resync Required entries included, once it recovers', async () => {
  const api = apiClient(runtime.url);
  const feed = await subscribe(runtime.url, 'service=outage');
  const refused: string[] = [];
  // Every entry fails, the resync announcements too, for a few seconds (well within the stand-in's retries).
  runtime.bus.fault = (entry) => {
    refused.push(entry.DetailType!);
    return 'InternalFailure';
  };
  const acknowledged = new Set<string>();
  try {
    for (let n = 0; n < 10; n++) {
      const created = await api.register('outage', `o-${n}`, { address: '10.0.0.1', port: 80, leaseSeconds: 600 });
      acknowledged.add(`o-${n}/${created.body.revision}`);
      const patched = await api.patch('outage', `o-${n}`, { weight: 7 });
      acknowledged.add(`o-${n}/${patched.body.revision}`);
    }
    await sleep(3000);
  } finally {
    runtime.bus.fault = undefined;
  }
  expect(refused).toContain('Registry Resync Required');
  expect(feed.messages.filter((m) => m.event?.startsWith('Instance '))).toEqual([]);
  const seen = new Set<string>();
  try {
    while ([...acknowledged].some((k) => !seen.has(k))) {
      const message = await feed.next((m) => m.event?.startsWith('Instance ') === true, 60_000);
      seen.add(`${message.data.detail.instanceId}/${message.data.detail.revision}`);
    }
  } finally {
    feed.close();
  }
  expect([...acknowledged].filter((k) => !seen.has(k))).toEqual([]);
}, 120_000);
