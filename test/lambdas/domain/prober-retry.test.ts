/**
 * Quick re-probes of failing targets after each round (one round per invocation), against a real DynamoDB Local
 * with a scripted probe and a fake clock, at the AWS defaults (10 s rounds, 10 s check interval, unhealthy threshold 3, 1 s re-probes): a dead target
 * is critical two re-probes after its first failed probe, not two rounds; a steady fleet makes no extra probe and
 * no extra write; the mass-failure guard and the per-endpoint cap hold.
 */
import { loadProberConfig } from '../../../lambdas/wiring/config.js';
import { runRound } from '../../../lambdas/domain/prober-loop.js';
import type { Prober, RetryReport, RoundReport } from '../../../lambdas/domain/prober.js';
import type { Handover, ProberLock } from '../../../lambdas/domain/prober-ports.js';
import { targetKey } from '../../../lambdas/domain/prober-targets.js';
import { check, setup } from './prober-harness.js';

/**
 * The shard's lock in memory, as the lock item behaves (its writes would count among the prober's here): taken
 * until released or run out, refused sooner than `notBeforeMs` after the last round's start, and carrying the
 * handover from one invocation to the next.
 */
function memoryLock(): ProberLock {
  let held: { owner: string; untilMs: number } | undefined;
  let lastRoundMs = Number.NEGATIVE_INFINITY;
  let handover: Handover | undefined;
  return {
    acquire: async (owner, untilMs, nowMs, _takeOverOwnHolder, round) => {
      if ((held && held.untilMs > nowMs) || (round && lastRoundMs > round.notBeforeMs)) return { acquired: false };
      held = { owner, untilMs };
      if (round) lastRoundMs = nowMs;
      return { acquired: true, handover };
    },
    release: async (owner, next) => {
      if (held?.owner !== owner) return;
      held = undefined;
      handover = next;
    },
  };
}

/**
 * Successive invocations of one round each on one lock, one every `roundIntervalMs` from now (or when the one
 * before has ended, as a message waiting for the lock would), each with `timeoutMs` to run; sleeping advances `clock`.
 */
async function invocations(
  prober: Parameters<typeof runRound>[0],
  clock: () => number,
  advance: (ms: number) => void,
  count: number,
  options: {
    roundIntervalMs: number;
    retryIntervalMs?: number;
    lockWaitMs?: number;
    timeoutMs?: number;
    onRound?: (report: RoundReport) => void;
    onRetry?: (report: RetryReport) => void;
  },
): Promise<number> {
  const lock = memoryLock();
  const start = clock();
  let rounds = 0;
  for (let n = 0; n < count; n++) {
    const at = start + n * options.roundIntervalMs;
    if (clock() < at) advance(at - clock());
    const deadline = clock() + (options.timeoutMs ?? 60_000);
    const result = await runRound(prober, lock, clock, {
      ...options,
      remainingMs: () => deadline - clock(),
      owner: `req-${n}`,
      sleep: async (ms) => advance(ms),
    });
    expect(result).toEqual({ rounds: 1, locked: false });
    rounds += result.rounds;
  }
  return rounds;
}

/** The AWS defaults of a health check: probed every 10 s, critical at the third failure, 2 s timeout. */
const awsCheck = (extra: object = {}) => check({ intervalSeconds: 10, timeoutSeconds: 2, ...extra });

type Harness = Awaited<ReturnType<typeof setup>>;

/**
 * `count` invocations of one round each, 10 s apart, with 1 s re-probes; `afterRound(n)` runs after round n (from 1),
 * `afterRetry` after each re-probe. Returns what happened in order, with the fake clock's time, so a test can count
 * probes between events.
 */
async function invoke(t: Harness, prober: Prober, afterRound: (round: number) => void = () => undefined, count = 5, afterRetry = () => {}) {
  const events: Array<{ kind: 'round'; report: RoundReport; atMs: number } | { kind: 'retry'; report: RetryReport; atMs: number }> = [];
  let round = 0;
  const rounds = await invocations(prober, t.clock, t.advance, count, {
    roundIntervalMs: 10_000,
    retryIntervalMs: 1000,
    onRound: (report) => {
      events.push({ kind: 'round', report, atMs: t.clock() });
      afterRound(++round);
    },
    onRetry: (report) => {
      events.push({ kind: 'retry', report, atMs: t.clock() });
      afterRetry();
    },
  });
  return { rounds, events, retries: events.filter((e) => e.kind === 'retry') };
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
    // Rounds at 0, 10, 20, 30 and 40 s, one invocation each.
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
    const count = () => void (perProbe.push(t.probed.slice(before).filter((p) => p.port === 9000).length), (before = t.probed.length));
    await invoke(t, prober, count, 2, count);
    expect(Math.max(...perProbe)).toBe(4);
    expect(perProbe.length).toBeGreaterThan(2); // rounds and re-probes both ran
  });
});

describe('re-probes after the round', () => {
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
    return { prober, retried, clock: () => now, advance: (ms: number) => void (now += ms) };
  };

  it('re-probes every retry interval after the round, and only while the next round has not come', async () => {
    const { prober, retried, clock, advance } = stub(2000);
    const rounds = await invocations(prober, clock, advance, 2, { roundIntervalMs: 10_000, retryIntervalMs: 1000, timeoutMs: 32_000 });
    expect(rounds).toBe(2); // at 0 s, and at 11 s: the message of 10 s waited for the lock until the re-probe ended
    // 1 s after the round's probes, then each as soon as the one before has ended (a 2 s timeout), while one starts a
    // retry interval before the next round and ends before that round has waited its longest (5 s) for the lock.
    expect(retried).toEqual([1000, 3000, 5000, 7000, 9000, 12_000, 14_000, 16_000, 18_000, 20_000]);
  });

  it('makes none when the retry interval is 0 or a re-probe would start too late or end too late for the next round', async () => {
    for (const [roundIntervalMs, retryIntervalMs, timeoutMs] of [
      [10_000, 0, 2000],
      [2000, 1000, 2500], // ends 1.5 s after the next round, which waits 1 s for the lock
      [2000, 1500, 100], // starts only 0.5 s before the next round
    ]) {
      const { prober, retried, clock, advance } = stub(timeoutMs!);
      await invocations(prober, clock, advance, 30_000 / roundIntervalMs!, { roundIntervalMs: roundIntervalMs!, retryIntervalMs });
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
