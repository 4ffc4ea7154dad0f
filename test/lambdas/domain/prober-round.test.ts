/**
 * One round per invocation (`runRound`, lambdas/domain/prober-loop.ts), against DynamoDB Local's lock item with a
 * fake clock: duplicated and early round messages never probe twice nor too soon, a round continues from the
 * previous one's handover, and after the round the failing targets are re-probed until confirmed, never past the
 * next round; a steady fleet's invocation ends with its round.
 */
import { DynamoDbProberLock } from '../../../lambdas/adapters/dynamodb-prober-store.js';
import type { Prober, RetryReport, RoundReport } from '../../../lambdas/domain/prober.js';
import { laterRounds, mayRetry, roundSlackMs, runRound, type RoundOptions } from '../../../lambdas/domain/prober-loop.js';
import { loadProberConfig } from '../../../lambdas/wiring/config.js';
import { check, setup } from './prober-harness.js';

type Harness = Awaited<ReturnType<typeof setup>>;

/** The AWS defaults of a health check: probed every 10 s, critical at the third failure, 2 s timeout. */
const awsCheck = { ...check({ intervalSeconds: 10, timeoutSeconds: 2 }) };

let invocation = 0;
/** One invocation of one round at 10 s rounds and 1 s re-probes, 60 s timeout; sleeping advances the fake clock. */
function invoke(t: Harness, prober: Prober, extra: Partial<RoundOptions> = {}) {
  const deadline = t.clock() + 60_000;
  const events: Array<{ kind: 'round' | 'retry'; report: RoundReport | RetryReport; atMs: number }> = [];
  const result = runRound(prober, new DynamoDbProberLock(t.doc, t.tableName, 0), t.clock, {
    roundIntervalMs: 10_000,
    retryIntervalMs: 1000,
    remainingMs: () => deadline - t.clock(),
    owner: `req-${++invocation}`,
    sleep: async (ms) => void t.advance(ms),
    onRound: (report) => void events.push({ kind: 'round', report, atMs: t.clock() }),
    onRetry: (report) => void events.push({ kind: 'retry', report, atMs: t.clock() }),
    ...extra,
  });
  return result.then((r) => ({ ...r, events }));
}

async function fleet(t: Harness, n: number) {
  for (let i = 0; i < n; i++) {
    await t.register('fleet', `peer-${i}`, { port: 6000 + i, ...awsCheck });
    t.up.set(6000 + i, true);
  }
}

describe('one round per invocation', () => {
  it('runs one round and ends with it when nothing fails, leaving the lock free for the next round', async () => {
    const t = await setup();
    await fleet(t, 5);
    const prober = t.prober();
    const first = await invoke(t, prober);
    expect(first).toMatchObject({ rounds: 1, locked: false });
    expect(first.events.map((e) => e.kind)).toEqual(['round']);
    expect(t.probed).toHaveLength(5);
    t.advance(10_000);
    expect(await invoke(t, prober)).toMatchObject({ rounds: 1, locked: false });
    expect(t.probed).toHaveLength(10);
  });

  it('never probes twice for a duplicated message: the copy finds the lock taken, waits half a round and gives up', async () => {
    const t = await setup();
    await fleet(t, 3);
    const prober = t.prober();
    const started = t.clock();
    expect(await invoke(t, prober)).toMatchObject({ rounds: 1, locked: false });
    // The same message again, at once (SQS delivers at least once): the last round is too recent.
    const copy = await invoke(t, t.prober());
    expect(copy).toMatchObject({ rounds: 0, locked: true });
    expect(copy.events).toEqual([]);
    expect(t.probed).toHaveLength(3);
    expect(t.clock() - started).toBeLessThanOrEqual(5_000 + 250); // it waited at most half a round
  });

  it('never lets two overlapping invocations probe at once', async () => {
    const t = await setup();
    await fleet(t, 3);
    const [a, b] = await Promise.all([invoke(t, t.prober()), invoke(t, t.prober())]);
    expect([a.rounds, b.rounds].sort()).toEqual([0, 1]);
    expect(t.probed).toHaveLength(3);
  });

  it('runs a message that comes a little early once the round interval has passed (less the slack)', async () => {
    const t = await setup();
    await fleet(t, 3);
    const prober = t.prober();
    const firstAt = t.clock();
    await invoke(t, prober);
    t.advance(7_000); // 3 s early
    const early = await invoke(t, prober);
    expect(early).toMatchObject({ rounds: 1, locked: false });
    expect(early.events[0]!.atMs - firstAt).toBeGreaterThanOrEqual(10_000 - roundSlackMs(10_000));
    expect(t.probed).toHaveLength(6); // each target due again
  });

  it('continues from the handover another execution environment left: a failure streak carries over', async () => {
    const t = await setup();
    await fleet(t, 10);
    await t.register('fleet', 'victim', { port: 7000, ...awsCheck });
    t.up.set(7000, true);
    const a = t.prober();
    const b = t.prober();
    await invoke(t, a, { retryIntervalMs: 0 });
    t.advance(10_000);
    await invoke(t, b, { retryIntervalMs: 0 }); // passing now
    t.up.set(7000, false);
    for (const env of [a, b, a]) {
      t.advance(10_000);
      await invoke(t, env, { retryIntervalMs: 0 }); // three failures, in alternating environments
    }
    expect((await t.get('fleet', 'victim'))!.health).toBe('critical');
  });

  it('re-probes a failing target after its round until it is confirmed critical, and stops there', async () => {
    const t = await setup();
    await fleet(t, 10);
    await t.register('fleet', 'victim', { port: 7000, ...awsCheck });
    t.up.set(7000, true);
    const prober = t.prober();
    await invoke(t, prober);
    t.advance(10_000);
    await invoke(t, prober);
    t.up.set(7000, false);
    t.advance(10_000);
    const roundStart = t.clock();
    const { events } = await invoke(t, prober);
    expect(events.map((e) => e.kind)).toEqual(['round', 'retry', 'retry']);
    expect(events.map((e) => e.report.transitions)).toEqual([0, 0, 1]);
    expect((await t.get('fleet', 'victim'))!.health).toBe('critical');
    // Confirmed about 2 s after the round's first failed probe, well before the next round (10 s).
    expect(events[2]!.atMs - roundStart).toBeLessThan(10_000);
  });
});

describe('the short hold of the lock', () => {
  it('takes one write a round in a steady fleet: the lock runs out when the next round may start', async () => {
    const t = await setup();
    await fleet(t, 5);
    const prober = t.prober();
    for (let round = 0; round < 3; round++) {
      // Until the fleet has turned passing (two passes) and a handover was left: health changes, releases.
      await invoke(t, prober, { shortHold: true });
      t.advance(10_000);
    }
    t.advance(-10_000);
    for (let round = 0; round < 3; round++) {
      t.advance(10_000);
      const before = t.writes.length;
      expect(await invoke(t, prober, { shortHold: true })).toMatchObject({ rounds: 1, locked: false });
      expect(t.writes.length - before).toBe(1); // the acquire; no release
    }
    expect(t.probed).toHaveLength(30);
    // A copy of the last message, at once, still finds the lock taken and probes nothing.
    expect(await invoke(t, t.prober(), { shortHold: true })).toMatchObject({ rounds: 0, locked: true });
    expect(t.probed).toHaveLength(30);
  });

  it('releases the lock when there is something to hand over, and extends it first for a round still running', async () => {
    const t = await setup();
    await fleet(t, 10);
    await t.register('fleet', 'victim', { port: 7000, ...awsCheck });
    t.up.set(7000, true);
    const prober = t.prober();
    await invoke(t, prober, { shortHold: true });
    t.advance(10_000);
    await invoke(t, prober, { shortHold: true });
    t.up.set(7000, false);
    t.advance(10_000);
    // The extension comes due at once (as for a round running past half the hold): acquire, extend, the health
    // change (the healthy count follows from the stream: lambdas/domain/stream-counters.ts), release.
    const extensions: number[] = [];
    const before = t.writes.length;
    const { events } = await invoke(t, prober, {
      shortHold: true,
      timer: (ms, fn) => {
        extensions.push(ms);
        fn();
        return () => undefined;
      },
    });
    expect(extensions).toEqual([(10_000 - roundSlackMs(10_000)) / 2]);
    expect(events.map((e) => e.kind)).toEqual(['round', 'retry', 'retry']);
    expect(t.writes.length - before).toBe(4);
    // Released: the next round takes the lock when it is due.
    t.advance(10_000);
    expect(await invoke(t, prober, { shortHold: true })).toMatchObject({ rounds: 1, locked: false });
  });
});

describe('when a re-probe may start after the round', () => {
  it('lets one start while it ends before the next round has waited its longest for the lock', () => {
    // AWS defaults: 10 s rounds, 1 s re-probes, 2 s timeout, a lock wait of 5 s.
    expect(mayRetry(1_000, 2_000, 10_000, 1_000, 5_000)).toBe(true);
    expect(mayRetry(9_000, 2_000, 10_000, 1_000, 5_000)).toBe(true);
    expect(mayRetry(9_500, 2_000, 10_000, 1_000, 5_000)).toBe(false); // the round would come within a re-probe interval
    // Local 1 s rounds, 200 ms re-probes, 1 s timeout, 500 ms lock wait: two re-probes after the round.
    expect([200, 400, 600].map((due) => mayRetry(due, 1_000, 1_000, 200, 500))).toEqual([true, true, false]);
  });

  it('re-probes every 200 ms with the local 1 s rounds unless told otherwise, and every second at the AWS defaults', () => {
    expect(loadProberConfig({ REGISTRY_PROBE_INTERVAL_SECONDS: '1' }).retryIntervalSeconds).toBe(0.2);
    expect(loadProberConfig({}).retryIntervalSeconds).toBe(1);
    expect(loadProberConfig({ REGISTRY_PROBE_INTERVAL_SECONDS: '1', REGISTRY_PROBE_RETRY_SECONDS: '0.5' }).retryIntervalSeconds).toBe(0.5);
  });
});

describe("the minute's later rounds", () => {
  it('are queued every round interval after the schedule, within its minute', () => {
    expect(laterRounds(10_000)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000]);
    expect(laterRounds(1_000)).toHaveLength(59);
    expect(laterRounds(60_000)).toEqual([]);
    expect(laterRounds(45_000)).toEqual([]); // a round of its own each minute rather than one 15 s before the next
  });
});
