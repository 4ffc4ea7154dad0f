import {
  DEFAULT_LEASE_SECONDS,
  draftInstance,
  firstRevision,
  isExpired,
  isHealthy,
  leaseFor,
  nextInstance,
  summaryDelta,
  ttlSeconds,
  TTL_GRACE_SECONDS,
  type Instance,
} from '../../../lambdas/domain/instance.js';
import { toRecord } from '../../../lambdas/domain/record.js';
import { instanceRecord, registerBody } from '@service-registry/contracts';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const key = { service: 'orders', instanceId: 'a' };
const body = (extra: object = {}) => registerBody.parse({ address: '10.0.0.1', port: 80, ...extra });
const instance = (extra: object = {}): Instance => ({ ...draftInstance(key, body(extra), 'alice', NOW), revision: 1 });

describe('leases', () => {
  it('uses the given lease, none for a probe-driven instance, and 30 s when neither is given', () => {
    expect(leaseFor(body({ leaseSeconds: 5 }))).toBe(5);
    expect(leaseFor(body({ healthCheck: { type: 'tcp' } }))).toBeUndefined();
    expect(leaseFor(body({ healthCheck: { type: 'tcp' }, leaseSeconds: 7 }))).toBe(7);
    expect(leaseFor(body())).toBe(DEFAULT_LEASE_SECONDS);
  });

  it('expires exactly at leaseExpiresAt, and never for a probe-driven instance', () => {
    const leased = instance({ leaseSeconds: 10 });
    expect(leased.leaseExpiresAtMs).toBe(NOW + 10_000);
    expect(isExpired(leased, NOW + 9_999)).toBe(false);
    expect(isExpired(leased, NOW + 10_000)).toBe(true);
    expect(isExpired(instance({ healthCheck: { type: 'tcp' } }), NOW + 1e12)).toBe(false);
  });

  it('lets TTL collect an item only a grace period after its lease ends', () => {
    expect(ttlSeconds(instance({ leaseSeconds: 10 }))).toBe((NOW + 10_000) / 1000 + TTL_GRACE_SECONDS);
    expect(ttlSeconds(instance({ healthCheck: { type: 'http' } }))).toBeUndefined();
  });

  it('starts revisions from the time in microseconds, so a re-created instance never reuses one', () => {
    expect(firstRevision(NOW)).toBe(NOW * 1000 + 1);
    expect(firstRevision(NOW + 1)).toBeGreaterThan(firstRevision(NOW) + 999);
  });
});

describe('health', () => {
  it('treats lease-only instances as passing and probed ones as unknown until probed', () => {
    expect(instance().health).toBe('passing');
    expect(instance({ healthCheck: { type: 'tcp' } }).health).toBe('unknown');
  });

  it('is healthy only when live, UP and not critical', () => {
    expect(isHealthy(instance(), NOW)).toBe(true);
    expect(isHealthy({ ...instance(), status: 'DRAINING' }, NOW)).toBe(false);
    expect(isHealthy({ ...instance(), health: 'critical' }, NOW)).toBe(false);
    expect(isHealthy({ ...instance(), health: 'unknown' }, NOW)).toBe(true);
    expect(isHealthy(instance({ leaseSeconds: 2 }), NOW + 2000)).toBe(false);
  });
});

describe('summaryDelta', () => {
  it('counts a creation, a removal, and a change of healthiness', () => {
    const up = instance();
    const draining = { ...up, status: 'DRAINING' as const };
    expect(summaryDelta(undefined, up)).toEqual({ total: 1, healthy: 1 });
    expect(summaryDelta(up, undefined)).toEqual({ total: -1, healthy: -1 });
    expect(summaryDelta(up, draining)).toEqual({ total: 0, healthy: -1 });
    expect(summaryDelta(draining, up)).toEqual({ total: 0, healthy: 1 });
    expect(summaryDelta(up, { ...up, weight: 3 })).toEqual({ total: 0, healthy: 0 });
  });
});

describe('toRecord', () => {
  it('shows times as ISO 8601 and hides the owner', () => {
    const record = toRecord(instance({ leaseSeconds: 10, zone: 'a' }));
    expect(record).toMatchObject({ registeredAt: '2026-11-24T12:00:00.000Z', leaseExpiresAt: '2026-11-24T12:00:10.000Z', zone: 'a' });
    expect(record).not.toHaveProperty('owner');
  });

  it('shows every field the API record has and nothing the registry keeps to itself', () => {
    const kept = {
      ...instance({ leaseSeconds: 10, healthCheck: { type: 'http' }, zone: 'a', tags: ['t'], metadata: { k: 'v' } }),
      criticalSinceMs: NOW,
      removal: 'expired' as const,
      leaseExpired: true as const,
    };
    const record = toRecord(kept);
    expect(instanceRecord.strict().parse(record)).toEqual(record);
    expect(Object.keys(record)).toEqual(Object.keys(instanceRecord.shape).filter((name) => name in record));
    expect(record.leaseExpired).toBe(true);
    expect(record.tags).not.toBe(kept.tags); // a copy: the answer never shares an array with the instance
  });
});

describe('nextInstance', () => {
  it('registers at the first revision, or the one after an instance it replaces, keeping nothing of that one', () => {
    const draft = draftInstance(key, body({ healthCheck: { type: 'tcp' } }), 'alice', NOW + 10);
    expect(nextInstance(undefined, { kind: 'register', draft }, NOW + 10)).toEqual({ ...draft, revision: firstRevision(NOW + 10) });
    const previous = { ...instance({ zone: 'a' }), revision: 41, criticalSinceMs: NOW, removal: 'critical' as const };
    expect(nextInstance(previous, { kind: 'register', draft }, NOW + 10)).toEqual({ ...draft, revision: 42 });
  });

  it('patches only the given fields, stamping the time and the next revision', () => {
    const previous = instance({ tags: ['x'] });
    const next = nextInstance(previous, { kind: 'patch', changes: { weight: 5, tags: undefined } }, NOW + 20);
    expect(next).toEqual({ ...previous, weight: 5, updatedAtMs: NOW + 20, revision: 2 });
  });

  it('renews only the lease on a heartbeat (no revision bump), and nothing of a lease-less instance', () => {
    const leased = instance({ leaseSeconds: 10 });
    expect(nextInstance(leased, { kind: 'heartbeat' }, NOW + 3000)).toEqual({ ...leased, leaseExpiresAtMs: NOW + 13_000 });
    const probed = instance({ healthCheck: { type: 'tcp' } });
    expect(nextInstance(probed, { kind: 'heartbeat' }, NOW + 3000)).toBe(probed);
  });

  it('marks health with its critical time, clearing that time when the health is passing again', () => {
    const probed = instance({ healthCheck: { type: 'tcp' } });
    const critical = nextInstance(probed, { kind: 'health', health: 'critical', criticalSinceMs: NOW + 5 }, NOW + 5);
    expect(critical).toEqual({ ...probed, health: 'critical', criticalSinceMs: NOW + 5, updatedAtMs: NOW + 5, revision: 2 });
    expect(nextInstance(critical, { kind: 'health', health: 'passing' }, NOW + 6)).toEqual({ ...probed, health: 'passing', updatedAtMs: NOW + 6, revision: 3 });
  });

  it('fails for a write other than a registration without the instance it changes', () => {
    expect(() => nextInstance(undefined, { kind: 'heartbeat' }, NOW)).toThrow('a heartbeat needs the instance it changes');
  });
});
