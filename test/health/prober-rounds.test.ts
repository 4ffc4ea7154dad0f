/**
 * Prober rounds against a real DynamoDB Local, with a scripted probe and a fake clock: thresholds, write counts,
 * the sweeper, removal of long-critical instances and the mass-failure guard.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProberStore } from '../../lambdas/adapters/dynamodb-prober-store.js';
import { draftInstance } from '../../lambdas/domain/instance.js';
import { MAX_HANDOVER, Prober } from '../../lambdas/domain/prober.js';
import type { ProbeOutcome, ProbeTarget } from '../../lambdas/domain/prober-ports.js';
import { registerBody } from '../../lambdas/domain/schemas.js';
import { instanceItemKey, protectionItemKey } from '../../lambdas/table.js';
import { bootstrapTable } from '../../local/bootstrap-table.js';

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

async function setup() {
  const tableName = `prober-${randomUUID()}`;
  const raw = new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const writes: string[] = [];
  raw.middlewareStack.add((next, context) => async (args) => {
    if (WRITES.has(context.commandName as string)) writes.push(context.commandName as string);
    return next(args);
  });
  await bootstrapTable(raw, tableName);
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoDbProberStore(doc, tableName);
  let now = Date.UTC(2026, 10, 24, 12);
  const clock = () => now;
  /** Outcome per port; a missing port fails. */
  const up = new Map<number, boolean>();
  const probed: ProbeTarget[] = [];
  const probe = async (t: ProbeTarget): Promise<ProbeOutcome> => {
    probed.push(t);
    return up.get(t.port) ? { ok: true } : { ok: false, reason: 'down' };
  };
  const register = async (service: string, id: string, body: object) => {
    const draft = draftInstance({ service, instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80, ...body }), 'owner', now);
    const result = await store.register(draft, { owner: 'owner', nowMs: now });
    const previous = result.ok ? result.previous : undefined;
    await store.adjustSummary(service, { total: previous ? 0 : 1, healthy: previous ? 0 : 1 });
  };
  const get = async (service: string, id: string) =>
    (await doc.send(new GetCommand({ TableName: tableName, Key: instanceItemKey(service, id), ConsistentRead: true }))).Item;
  const summary = async (service: string) => (await store.listAllServices()).find((s) => s.service === service);
  return {
    store, doc, tableName, raw, writes, up, probed, register, get, summary, clock,
    advance: (ms: number) => (now += ms),
    prober: (options = {}) => new Prober({ store, probe, clock }, { concurrency: 8, ...options }),
  };
}

const check = (extra: object = {}) => ({ healthCheck: { type: 'http', intervalSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 3, ...extra } });

describe('thresholds', () => {
  it('marks critical exactly at the third consecutive failure and passing at the second success', async () => {
    const t = await setup();
    await t.register('web', 'a', { port: 1001, ...check() });
    const prober = t.prober();
    const health = async () => (await t.get('web', 'a'))!.health;
    t.up.set(1001, true);
    await prober.round();
    expect(await health()).toBe('unknown');
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('passing');
    t.up.set(1001, false);
    for (const expected of ['passing', 'passing', 'critical']) {
      t.advance(1000);
      await prober.round();
      expect(await health()).toBe(expected);
    }
    expect((await t.summary('web'))!.healthy).toBe(0);
    // Flapping: a success resets the failure streak, so fail-ok-fail never reaches a threshold.
    t.up.set(1001, true);
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('critical');
    t.up.set(1001, false);
    t.advance(1000);
    await prober.round();
    t.up.set(1001, true);
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('critical');
    t.advance(1000);
    await prober.round();
    expect(await health()).toBe('passing');
    expect((await t.summary('web'))!.healthy).toBe(1);
  });

  it('bumps the revision on a change of health and writes nothing in a round that changes nothing', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('steady', `s-${i}`, { port: 2000 + i, ...check() });
    for (let i = 0; i < 20; i++) t.up.set(2000 + i, true);
    const prober = t.prober();
    await prober.round();
    t.advance(1000);
    const before = (await t.get('steady', 's-0'))!.revision;
    await prober.round();
    expect((await t.get('steady', 's-0'))!.revision).toBe(before + 1);
    for (let round = 0; round < 3; round++) {
      t.advance(1000);
      t.writes.length = 0;
      const report = await prober.round();
      expect(report.targets).toBe(20);
      expect(report.writes).toBe(0);
      expect(t.writes).toEqual([]);
    }
  });

  it('probes one target registered many times once per round', async () => {
    const t = await setup();
    for (let i = 0; i < 5; i++) await t.register('dup', `d-${i}`, { port: 3000, ...check() });
    t.up.set(3000, true);
    const report = await t.prober().round();
    expect(report.targets).toBe(1);
    expect(t.probed.filter((p) => p.port === 3000)).toHaveLength(1);
  });

  it('does not probe an instance before its interval has passed', async () => {
    const t = await setup();
    await t.register('slow', 'x', { port: 3100, ...check({ intervalSeconds: 5 }) });
    t.up.set(3100, true);
    const prober = t.prober();
    expect((await prober.round()).targets).toBe(1);
    t.advance(1000);
    expect((await prober.round()).targets).toBe(0);
    t.advance(4000);
    expect((await prober.round()).targets).toBe(1);
  });

  it('hands streaks to the next invocation so failures spanning invocations still count', async () => {
    const t = await setup();
    await t.register('handover', 'h', { port: 3200, ...check() });
    t.up.set(3200, true);
    const first = t.prober();
    await first.round();
    t.advance(1000);
    await first.round();
    t.up.set(3200, false);
    t.advance(1000);
    await first.round();
    t.advance(1000);
    await first.round();
    const second = t.prober();
    second.importStreaks(first.exportStreaks());
    t.advance(1000);
    await second.round();
    expect((await t.get('handover', 'h'))!.health).toBe('critical');
  });
});

describe('streak handover', () => {
  it('hands over at most MAX_HANDOVER streaks, so the lock item stays small', async () => {
    const t = await setup();
    const prober = t.prober();
    const many: Record<string, [number, number, number]> = {};
    for (let i = 0; i < MAX_HANDOVER + 10; i++) many[`s/i-${i}`] = [1, 0, 0];
    prober.importStreaks(many);
    expect(Object.keys(prober.exportStreaks())).toHaveLength(MAX_HANDOVER);
  });
});

describe('the sweeper', () => {
  it('removes instances whose lease expired, with removal "expired", and fixes the counts', async () => {
    const t = await setup();
    await t.register('leases', 'short', { leaseSeconds: 2 });
    await t.register('leases', 'long', { leaseSeconds: 60 });
    const prober = t.prober();
    await prober.round();
    expect(await t.get('leases', 'short')).toBeDefined();
    t.advance(2000);
    const report = await prober.round();
    expect(report.expired).toBe(1);
    expect(await t.get('leases', 'short')).toBeUndefined();
    expect(await t.get('leases', 'long')).toBeDefined();
    expect(await t.summary('leases')).toMatchObject({ total: 1, healthy: 1 });
  });

  it('removes a probe-driven instance that stays critical for deregisterCriticalAfterSeconds', async () => {
    const t = await setup();
    await t.register('crit', 'c', { port: 4000, ...check({ deregisterCriticalAfterSeconds: 60 }) });
    const prober = t.prober();
    for (let i = 0; i < 3; i++) {
      await prober.round();
      t.advance(1000);
    }
    expect((await t.get('crit', 'c'))!.health).toBe('critical');
    t.advance(58_000);
    await prober.round();
    expect(await t.get('crit', 'c')).toBeDefined();
    t.advance(2000);
    const report = await prober.round();
    expect(report.removedCritical).toBe(1);
    expect(await t.get('crit', 'c')).toBeUndefined();
    expect(await t.summary('crit')).toMatchObject({ total: 0, healthy: 0 });
  });

  it('repairs a counter that disagrees with a recount two rounds running', async () => {
    const t = await setup();
    await t.register('drift', 'a', { leaseSeconds: 60 });
    await t.store.adjustSummary('drift', { total: 5, healthy: 2 });
    const prober = t.prober();
    await prober.round();
    expect(await t.summary('drift')).toMatchObject({ total: 6, healthy: 3 });
    await prober.round();
    expect(await t.summary('drift')).toMatchObject({ total: 1, healthy: 1 });
  });
});

describe('the mass-failure guard', () => {
  const protection = { probeFailureShare: 0.5, leaseExpiryShare: 0.15, minPopulation: 10 };

  async function fleet(failing: number) {
    const t = await setup();
    for (let i = 0; i < 10; i++) {
      await t.register('fleet', `f-${i}`, { port: 5000 + i, ...check({ unhealthyThreshold: 1, healthyThreshold: 1 }) });
      t.up.set(5000 + i, i >= failing);
    }
    return t;
  }

  it('engages above 50 % failing probes: marks nothing critical, records the event once', async () => {
    const t = await fleet(6);
    const prober = t.prober({ protection });
    const report = await prober.round();
    expect(report.protection).toMatchObject({ engaged: true, probeEngaged: true, failedTargets: 6, probedTargets: 10 });
    expect(report.transitions).toBe(4); // the 4 passing ones, from unknown
    expect((await t.get('fleet', 'f-0'))!.health).toBe('unknown');
    const item = await t.doc.send(new GetCommand({ TableName: t.tableName, Key: protectionItemKey() }));
    expect(item.Item).toMatchObject({ engaged: true, probeEngaged: true });
    t.advance(1000);
    t.writes.length = 0;
    expect((await prober.round()).writes).toBe(0);
    // Recovery: the guard disengages and the state change is recorded again.
    for (let i = 0; i < 10; i++) t.up.set(5000 + i, i >= 2);
    t.advance(1000);
    const after = await prober.round();
    expect(after.protection.engaged).toBe(false);
    expect((await t.get('fleet', 'f-0'))!.health).toBe('critical');
    expect((await t.doc.send(new GetCommand({ TableName: t.tableName, Key: protectionItemKey() }))).Item).toMatchObject({ engaged: false });
  });

  it('does not engage at exactly 50 %', async () => {
    const t = await fleet(5);
    const report = await t.prober({ protection }).round();
    expect(report.protection.engaged).toBe(false);
    expect((await t.get('fleet', 'f-0'))!.health).toBe('critical');
  });

  it('engages above 15 % expiring leases and removes none of them that round', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 4 ? 2 : 600 });
    const prober = t.prober({ protection });
    t.advance(2000);
    const engaged = await prober.round();
    expect(engaged.protection).toMatchObject({ leaseEngaged: true, expiredLeases: 4, leasedInstances: 20 });
    expect(engaged.expired).toBe(0);
    expect(await t.get('leased', 'l-0')).toBeDefined();
  });

  it('does not engage at exactly 15 % expiring leases', async () => {
    const t = await setup();
    for (let i = 0; i < 20; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 3 ? 2 : 600 });
    t.advance(2000);
    const report = await t.prober({ protection }).round();
    expect(report.protection.leaseEngaged).toBe(false);
    expect(report.expired).toBe(3);
  });
});
