/**
 * Quick re-probes of failing targets between rounds, against a real DynamoDB Local with a scripted probe and a fake
 * clock, at the AWS defaults (10 s rounds, 10 s check interval, unhealthy threshold 3, 1 s re-probes): a dead target
 * is critical two re-probes after its first failed probe, not two rounds; a steady fleet makes no extra probe and
 * no extra write; the mass-failure guard and the per-endpoint cap hold.
 */
import { loadProberConfig } from '../../../lambdas/wiring/config.js';
import { runRounds } from '../../../lambdas/domain/prober-loop.js';
import type { Prober, RetryReport, RoundReport } from '../../../lambdas/domain/prober.js';
import type { ProberLock } from '../../../lambdas/domain/prober-ports.js';
import { targetKey } from '../../../lambdas/domain/prober-targets.js';
import { check, setup } from './prober-harness.js';

/** A lock that is always free (the loop is under test, not the lock). */
const freeLock: ProberLock = { acquire: async () => ({ acquired: true }), release: async () => undefined };

/** The AWS defaults of a health check: probed every 10 s, critical at the third failure, 2 s timeout. */
const awsCheck = (extra: object = {}) => check({ intervalSeconds: 10, timeoutSeconds: 2, ...extra });

type Harness = Awaited<ReturnType<typeof setup>>;

/**
 * One invocation of `seconds` with 10 s rounds and 1 s re-probes; `afterRound(n)` runs after round n (from 1).
 * Returns what happened in order, with the fake clock's time, so a test can count probes between events.
 */
async function invoke(t: Harness, prober: Prober, afterRound: (round: number) => void = () => undefined, seconds = 60) {
  const deadline = t.clock() + seconds * 1000;
  const events: Array<{ kind: 'round'; report: RoundReport; atMs: number } | { kind: 'retry'; report: RetryReport; atMs: number }> = [];
  let round = 0;
  const result = await runRounds(prober, freeLock, t.clock, {
    roundIntervalMs: 10_000,
    retryIntervalMs: 1000,
    remainingMs: () => deadline - t.clock(),
    owner: 'test',
    sleep: async (ms) => void t.advance(ms),
    onRound: (report) => {
      events.push({ kind: 'round', report, atMs: t.clock() });
      afterRound(++round);
    },
    onRetry: (report) => void events.push({ kind: 'retry', report, atMs: t.clock() }),
  });
  return { ...result, events, retries: events.filter((e) => e.kind === 'retry') };
}

/** Registers `n` healthy peers on ports from `base`. */
async function peers(t: Harness, n: number, base = 6000) {
  for (let i = 0; i < n; i++) {
    await t.register('fleet', `peer-${i}`, { port: base + i, ...awsCheck() });
    t.up.set(base + i, true);
  }
}

describe('re-probes at AWS defaults', () => {
  it('marks a dead target critical two re-probes after its first failed probe, before the next round', async () => {
    const t = await setup();
    await peers(t, 10);
    await t.register('fleet', 'victim', { port: 7000, ...awsCheck() });
    t.up.set(7000, true);
    const criticalAt: number[] = [];
    const { rounds, events, retries } = await invoke(t, t.prober(), (round) => {
      if (round === 2) t.up.set(7000, false); // it dies after the round that made it passing
    });
    for (const e of events) if (e.kind === 'retry' && e.report.transitions > 0) criticalAt.push(e.atMs);
    // Rounds at 0, 10, 20, 30 and 40 s of the 60 s invocation (then the 12 s reserve is reached).
    expect(rounds).toBe(5);
    // Round 3 sees the first failure; the re-probes 1 and 2 s after it are the second and third: critical.
    expect(events.map((e) => e.kind)).toEqual(['round', 'round', 'round', 'retry', 'retry', 'round', 'round']);
    expect(retries.map((e) => e.report)).toEqual([
      expect.objectContaining({ targets: 1, failedTargets: 1, transitions: 0, writes: 0, probeEngaged: false }),
      // One write: the health mark (the healthy counter follows from the stream: lambdas/domain/stream-counters.ts).
      expect.objectContaining({ targets: 1, failedTargets: 1, transitions: 1, writes: 1, probeEngaged: false }),
    ]);
    const victim = (await t.get('fleet', 'victim'))!;
    expect(victim.health).toBe('critical');
    // Round 3 started probing at 20 s; critical at its second re-probe, 2 s later (it was 20 s, two rounds, before).
    expect(victim.criticalSinceMs - events[2]!.atMs).toBeLessThanOrEqual(2000);
    expect(criticalAt).toHaveLength(1);
    // Probes: the victim once a round and twice more in between; the peers once a round, never re-probed.
    expect(t.probed.filter((p) => p.port === 7000)).toHaveLength(rounds + 2);
    for (let i = 0; i < 10; i++) expect(t.probed.filter((p) => p.port === 6000 + i)).toHaveLength(rounds);
    expect((await t.summary('fleet'))!.healthy).toBe(10);
  });

  it('reaches the threshold within about 4 s of the first failed answer when the dead target times out', async () => {
    const t = await setup();
    await peers(t, 10);
    await t.register('fleet', 'victim', { port: 7000, ...awsCheck() });
    t.up.set(7000, true);
    const { events, retries } = await invoke(t, t.prober(), (round) => {
      if (round === 2) {
        t.up.delete(7000);
        t.slow.set(7000, 2000); // every probe now waits out its 2 s timeout
      }
    });
    expect(retries).toHaveLength(2);
    const round3 = events.filter((e) => e.kind === 'round')[2]!;
    const victim = (await t.get('fleet', 'victim'))!;
    expect(victim.health).toBe('critical');
    // The round's probe answers (fails) 2 s into round 3; two re-probes, each 2 s, follow back to back.
    expect(victim.criticalSinceMs - round3.atMs).toBeLessThanOrEqual(4000);
    expect(events.map((e) => e.kind)).toEqual(['round', 'round', 'round', 'retry', 'retry', 'round', 'round']);
  });

  it('stops re-probing a target that passes again, without writing', async () => {
    const t = await setup();
    await peers(t, 10);
    await t.register('fleet', 'flaky', { port: 7000, ...awsCheck() });
    t.up.set(7000, true);
    const { retries } = await invoke(t, t.prober(), (round) => {
      if (round === 2) t.up.set(7000, false);
      if (round === 3) t.up.set(7000, true); // back before the first re-probe
    });
    expect(retries.map((e) => e.report)).toEqual([expect.objectContaining({ targets: 1, failedTargets: 0, transitions: 0, writes: 0 })]);
    expect((await t.get('fleet', 'flaky'))!.health).toBe('passing');
  });
});

describe('the steady state', () => {
  it('makes no extra probe and no extra write when nothing fails', async () => {
    const t = await setup();
    await peers(t, 20);
    const { rounds, retries } = await invoke(t, t.prober(), (round) => {
      if (round === 2) t.writes.length = 0; // the first two rounds make them passing
    });
    expect(rounds).toBe(5);
    expect(retries).toEqual([]);
    expect(t.probed).toHaveLength(20 * rounds);
    expect(t.writes).toEqual([]);
  });

  it('needs no re-probe for a target already critical', async () => {
    const t = await setup();
    await peers(t, 10);
    await t.register('fleet', 'dead', { port: 7000, ...awsCheck() }); // never up
    const prober = t.prober();
    const { retries } = await invoke(t, prober);
    // Round 1 fails it once; two re-probes make it critical; from then on only the rounds probe it.
    expect(retries).toHaveLength(2);
    expect((await t.get('fleet', 'dead'))!.health).toBe('critical');
    expect(prober.pendingRetry()).toBeUndefined();
  });
});

describe('the mass-failure guard', () => {
  it('re-probes nothing and marks nothing critical while a network outage engages it', async () => {
    const t = await setup();
    await peers(t, 20);
    const { retries, events } = await invoke(t, t.prober(), (round) => {
      if (round === 2) for (let i = 0; i < 20; i++) t.up.set(6000 + i, false); // the prober's network goes
    });
    expect(events.filter((e) => e.kind === 'round').map((e) => e.report.protection.probeEngaged)).toEqual([false, false, true, true, true]);
    expect(retries).toEqual([]);
    for (let i = 0; i < 20; i++) expect((await t.get('fleet', `peer-${i}`))!.health).toBe('passing');
  });

  it('is judged on the whole fleet by a re-probe, and freezes critical while it is engaged', async () => {
    const t = await setup();
    await peers(t, 10);
    for (let i = 0; i < 4; i++) await t.register('fleet', `victim-${i}`, { port: 7000 + i, ...awsCheck() });
    const prober = t.prober();
    for (let i = 0; i < 4; i++) t.up.set(7000 + i, true);
    await prober.round();
    t.advance(10_000);
    await prober.round();
    // 4 of 14 fail: the guard stays out, and they are suspects; a first re-probe counts their second failure.
    for (let i = 0; i < 4; i++) t.up.set(7000 + i, false);
    t.advance(10_000);
    expect((await prober.round()).protection.probeEngaged).toBe(false);
    expect(prober.pendingRetry()).toBeDefined();
    t.advance(1000);
    expect(await prober.retry()).toMatchObject({ targets: 4, failedTargets: 4, probeEngaged: false, transitions: 0 });
    // The re-probe judges the same latest outcomes of the whole fleet as a round: when they say most of the fleet
    // failed (here through a handover listing every target of the fleet as failed), the third failure marks nothing
    // critical.
    const handover = prober.exportHandover();
    expect(Object.keys(handover.outcomes!)).toHaveLength(4); // a handover lists the failures only
    prober.resume({ ...handover, outcomes: Object.fromEntries(t.probed.map((target) => [targetKey(target), 0 as const])) });
    t.advance(1000);
    expect(await prober.retry()).toMatchObject({ targets: 4, failedTargets: 4, probeEngaged: true, transitions: 0, writes: 0 });
    expect(prober.pendingRetry()).toBeUndefined(); // and no further re-probe while it is engaged
    for (let i = 0; i < 4; i++) expect((await t.get('fleet', `victim-${i}`))!.health).toBe('passing');
  });
});

describe('probes per endpoint', () => {
  it('re-probes at most maxProbesPerEndpoint targets of one address:port at a time', async () => {
    const t = await setup();
    await peers(t, 20);
    for (let i = 0; i < 12; i++) await t.register('paths', `p-${i}`, { port: 9000, ...awsCheck({ path: `/p/${i}` }) }); // never up
    const prober = t.prober({ maxProbesPerEndpoint: 4 });
    const perProbe: number[] = [];
    let before = 0;
    const deadline = t.clock() + 30_000;
    await runRounds(prober, freeLock, t.clock, {
      roundIntervalMs: 10_000,
      retryIntervalMs: 1000,
      remainingMs: () => deadline - t.clock(),
      owner: 'test',
      sleep: async (ms) => void t.advance(ms),
      onRound: () => void (perProbe.push(t.probed.slice(before).filter((p) => p.port === 9000).length), (before = t.probed.length)),
      onRetry: () => void (perProbe.push(t.probed.slice(before).filter((p) => p.port === 9000).length), (before = t.probed.length)),
    });
    expect(Math.max(...perProbe)).toBe(4);
    expect(perProbe.length).toBeGreaterThan(2); // rounds and re-probes both ran
  });
});

describe('the loop', () => {
  /** A prober with one suspect whose probe takes `timeoutMs`, counting its re-probes. */
  const stub = (timeoutMs: number) => {
    let now = 0;
    let probedAtMs = 0;
    const retried: number[] = [];
    const prober = {
      round: async () => {
        probedAtMs = now;
        return {} as RoundReport;
      },
      resume: () => undefined,
      exportHandover: () => ({ streaks: {} }),
      pendingRetry: () => ({ probedAtMs, timeoutMs }),
      retry: async () => {
        probedAtMs = now;
        retried.push(now);
        now += timeoutMs;
        return {} as RetryReport;
      },
    };
    return { prober, retried, clock: () => now, sleep: async (ms: number) => void (now += ms) };
  };

  it('re-probes every retry interval between rounds, and only when the re-probe can end before the next round', async () => {
    const { prober, retried, clock, sleep } = stub(2000);
    const { rounds } = await runRounds(prober, freeLock, clock, {
      roundIntervalMs: 10_000,
      retryIntervalMs: 1000,
      remainingMs: () => 32_000 - clock(),
      owner: 'o',
      sleep,
    });
    expect(rounds).toBe(2); // at 0 and 10 s; at 20 s only 12 s are left, the reserve
    // 1 s after the round's probes, then each as soon as the one before has ended (a 2 s timeout), while one fits.
    expect(retried).toEqual([1000, 3000, 5000, 7000, 11_000, 13_000, 15_000, 17_000]);
  });

  it('makes none when the retry interval is 0 or a re-probe would not end before the next round', async () => {
    for (const [roundIntervalMs, retryIntervalMs] of [
      [10_000, 0],
      [2000, 1000],
    ]) {
      const { prober, retried, clock, sleep } = stub(2000);
      await runRounds(prober, freeLock, clock, { roundIntervalMs: roundIntervalMs!, retryIntervalMs, remainingMs: () => 30_000 - clock(), owner: 'o', sleep });
      expect(retried).toEqual([]);
    }
  });
});

describe('configuration', () => {
  it('reads REGISTRY_PROBE_RETRY_SECONDS: 1 by default, 0 for none, fractions from 0.1, anything else refused', () => {
    expect(loadProberConfig({}).retryIntervalSeconds).toBe(1);
    expect(loadProberConfig({ REGISTRY_PROBE_RETRY_SECONDS: '0' }).retryIntervalSeconds).toBe(0);
    expect(loadProberConfig({ REGISTRY_PROBE_RETRY_SECONDS: '0.25' }).retryIntervalSeconds).toBe(0.25);
    expect(() => loadProberConfig({ REGISTRY_PROBE_RETRY_SECONDS: '0.01' })).toThrow(/REGISTRY_PROBE_RETRY_SECONDS must be 0 \(none\) or from 0.1 to 600/);
    expect(() => loadProberConfig({ REGISTRY_PROBE_RETRY_SECONDS: 'soon' })).toThrow(/REGISTRY_PROBE_RETRY_SECONDS/);
  });
});
