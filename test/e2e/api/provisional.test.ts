/**
 * The gap before the guard engages: between a mass lease expiry and the prober's next round, reads judge the
 * expiry themselves, so discovery never empties; a real death of a few instances is still dropped at once. End to
 * end through the local runtime, with the prober running 1 s rounds.
 */
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
const body = { address: '10.0.0.1', port: 80, leaseSeconds: 4 };
const ids = Array.from({ length: 100 }, (_, i) => `i-${String(i).padStart(3, '0')}`);

beforeAll(async () => {
  runtime = await startTestRuntime({ probeIntervalSeconds: 1 });
  api = apiClient(runtime.url);
});
afterAll(async () => {
  await runtime.stop();
});

interface Poll {
  atMs: number;
  count: number;
  marked: number;
  protection?: { engaged: true; leases: boolean; provisional?: true };
}

/** Discovers `service` every ~100 ms for `forMs`. */
async function poll(service: string, forMs: number): Promise<Poll[]> {
  const polls: Poll[] = [];
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    const res = await api.discover(service, 'limit=1000');
    expect(res.status).toBe(200);
    const instances = res.body.instances as Array<{ leaseExpired?: true }>;
    polls.push({ atMs: Date.now(), count: instances.length, marked: instances.filter((i) => i.leaseExpired).length, protection: res.body.protection });
    await sleep(100);
  }
  return polls;
}

it('drops a real death of 5 of 100 at once, as before (under the lease share threshold)', async () => {
  // 95 hold a lease that outlasts the test (as if renewed); the 5 stop renewing theirs.
  const registered = await Promise.all(ids.map((id, i) => api.register('dying', id, { ...body, leaseSeconds: i < 5 ? 4 : 120 })));
  expect(registered.every((r) => r.status === 201)).toBe(true);
  const dead = ids.slice(0, 5);
  const deadExpiry = Math.max(...registered.slice(0, 5).map((r) => Date.parse(r.body.leaseExpiresAt)));
  const polls = await poll('dying', 8000);
  const after = polls.filter((p) => p.atMs > deadExpiry + 100);
  expect(after.length).toBeGreaterThan(5);
  expect(after.filter((p) => !(p.count === 95 && p.marked === 0 && p.protection === undefined)).map((p) => ({ ...p, atMs: p.atMs - deadExpiry }))).toEqual([]);
  for (const id of dead) expect((await api.get('dying', id)).status).toBe(404);
  // Leave the next test a fleet of its own: deregistrations are not expiries, so the guard's window stays clean.
  await Promise.all(ids.slice(5).map((id) => api.deregister('dying', id)));
}, 30_000);

it('never empties discovery when every heartbeat stops: reads keep the lapsed leases until the guard engages', async () => {
  const registered = await Promise.all(ids.map((id) => api.register('outage', id, body)));
  expect(registered.every((r) => r.status === 201)).toBe(true);
  // Nobody heartbeats: every lease runs out within ~4 s, and the prober's rounds are 1 s apart.
  const firstExpiry = Math.min(...registered.map((r) => Date.parse(r.body.leaseExpiresAt)));
  const lastExpiry = Math.max(...registered.map((r) => Date.parse(r.body.leaseExpiresAt)));
  const polls = await poll('outage', 12_000);
  console.log(
    `expiries spread over ${lastExpiry - firstExpiry} ms; around them: ${JSON.stringify(polls.filter((p) => p.atMs > firstExpiry - 300 && p.atMs < lastExpiry + 1500).map((p) => [p.atMs - firstExpiry, p.count, p.marked, p.protection?.provisional ?? false]))}`,
  );
  const fewest = Math.min(...polls.map((p) => p.count));
  const provisional = polls.filter((p) => p.protection?.provisional).length;
  console.log(`outage: ${polls.length} polls over 12 s, fewest instances ${fewest}, ${provisional} answered provisionally`);
  expect(fewest).toBe(100);
  // Once every lease ran out, every instance is served marked; by the end the prober's guard holds them.
  expect(polls.at(-1)).toMatchObject({ count: 100, marked: 100, protection: { engaged: true, leases: true } });
  expect(polls.at(-1)!.protection).not.toHaveProperty('provisional');
}, 30_000);
