import { decodeCursor, discoveryBody, discoveryEtag, encodeCursor, matches, recordBytes } from '../../../lambdas/domain/discovery.js';
import { ValidationError } from '../../../lambdas/domain/errors.js';
import { draftInstance, keptByLeaseGuard, type Instance } from '../../../lambdas/domain/instance.js';
import { toRecord } from '../../../lambdas/domain/record.js';
import { registerBody, type ProtectionStatus } from '@service-registry/contracts';

const NOW = 1_800_000_000_000;
const make = (id: string, extra: object = {}, revision = 1): Instance => ({
  ...draftInstance({ service: 's', instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80, ...extra }), 'o', NOW),
  revision,
});
const filter = { mode: 'healthy' as const, tags: [], meta: {} };

describe('matches', () => {
  it('requires every tag and every metadata pair', () => {
    const i = make('a', { tags: ['x', 'y'], metadata: { v: '1', r: 'eu' } });
    expect(matches(i, { ...filter, tags: ['x', 'y'] }, NOW)).toBe(true);
    expect(matches(i, { ...filter, tags: ['x', 'z'] }, NOW)).toBe(false);
    expect(matches(i, { ...filter, meta: { v: '1', r: 'eu' } }, NOW)).toBe(true);
    expect(matches(i, { ...filter, meta: { v: '2' } }, NOW)).toBe(false);
  });

  it('returns draining instances only in mode all, and expired ones never', () => {
    const draining = { ...make('a'), status: 'DRAINING' as const };
    expect(matches(draining, filter, NOW)).toBe(false);
    expect(matches(draining, { ...filter, mode: 'all' }, NOW)).toBe(true);
    expect(matches(make('b', { leaseSeconds: 2 }), { ...filter, mode: 'all' }, NOW + 2000)).toBe(false);
  });

  it('filters by zone', () => {
    expect(matches(make('a', { zone: 'z1' }), { ...filter, zone: 'z1' }, NOW)).toBe(true);
    expect(matches(make('a'), { ...filter, zone: 'z1' }, NOW)).toBe(false);
  });
});

describe('matches while the lease guard keeps expired instances', () => {
  it('judges an expired instance on what it was: kept when UP and not critical, and in mode all when draining', () => {
    const expired = make('a', { leaseSeconds: 2 });
    const later = NOW + 2000;
    expect(matches(expired, filter, later, true)).toBe(true);
    expect(matches({ ...expired, health: 'critical' }, filter, later, true)).toBe(false);
    expect(matches({ ...expired, status: 'DRAINING' }, filter, later, true)).toBe(false);
    expect(matches({ ...expired, status: 'DRAINING' }, { ...filter, mode: 'all' }, later, true)).toBe(true);
    expect(matches(expired, { ...filter, tags: ['missing'] }, later, true)).toBe(false);
  });

  it('shows a kept instance marked leaseExpired with health unknown', () => {
    const record = toRecord(keptByLeaseGuard(make('a', { leaseSeconds: 2 })));
    expect(record).toMatchObject({ leaseExpired: true, health: 'unknown' });
    expect(toRecord(make('b'))).not.toHaveProperty('leaseExpired');
  });
});

describe('recordBytes', () => {
  it('counts a record as it travels inside the Lambda response envelope, escaped once more', () => {
    const plain = make('a');
    const quoted = make('b', { metadata: { q: '"'.repeat(100), b: '\\'.repeat(50), u: 'é✓\u0001' } });
    for (const instance of [plain, quoted]) {
      const escaped = JSON.stringify(JSON.stringify(toRecord(instance))); // what Lambda serializes, with 2 outer quotes
      expect(recordBytes(instance)).toBe(Buffer.byteLength(escaped) - 2 + 1); // + the comma between records
    }
    expect(recordBytes(quoted)).toBeGreaterThan(2 * 200);
  });
});

describe('discoveryBody', () => {
  it('is the JSON of the answer object, with or without cursor and protection, and escapes what JSON escapes', () => {
    const instances = [
      make('a'),
      make('b', { metadata: { q: '"\\é\u0001', '</script>': 'x' }, tags: ['t'] }),
      keptByLeaseGuard(make('c', { leaseSeconds: 2 })),
    ];
    const protection: ProtectionStatus = { engaged: true, leases: true, probes: false, since: '2026-11-24T00:00:00.000Z' };
    for (const [cursor, guard] of [
      [undefined, undefined],
      ['abc', undefined],
      [undefined, protection],
      ['abc', protection],
    ] as const) {
      const expected = JSON.stringify({ service: 's"1', instances: instances.map(toRecord), ...(cursor && { cursor }), ...(guard && { protection: guard }) });
      expect(discoveryBody('s"1', instances, cursor, guard)).toBe(expected);
    }
    expect(discoveryBody('s', [])).toBe('{"service":"s","instances":[]}');
  });
});

describe('cursor', () => {
  it('round-trips and refuses anything it did not issue', () => {
    expect(decodeCursor(encodeCursor({ after: 'i-9', mode: 'all' }))).toEqual({ after: 'i-9', mode: 'all' });
    for (const bad of ['', 'xyz', Buffer.from('{"a":1,"m":"all"}').toString('base64url'), Buffer.from('{"a":"x","m":"some"}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(ValidationError);
    }
  });
});

describe('discoveryEtag while the lease guard is engaged', () => {
  it('changes when an instance is marked leaseExpired, and with the protection status', () => {
    const items = [make('a', { leaseSeconds: 2 })];
    const plain = discoveryEtag(items, undefined);
    expect(discoveryEtag(items.map(keptByLeaseGuard), undefined)).not.toBe(plain);
    const protection = { engaged: true as const, leases: true, probes: false, since: new Date(NOW).toISOString() };
    expect(discoveryEtag(items, undefined, protection)).not.toBe(plain);
  });
});

describe('discoveryEtag', () => {
  it('changes with the set or a revision, and not with a renewed lease', () => {
    const a = make('a');
    const b = make('b');
    const base = discoveryEtag([a, b], undefined);
    expect(discoveryEtag([a, { ...b, leaseExpiresAtMs: NOW + 99_000 }], undefined)).toBe(base);
    expect(discoveryEtag([a], undefined)).not.toBe(base);
    expect(discoveryEtag([a, { ...b, revision: 2 }], undefined)).not.toBe(base);
    expect(discoveryEtag([a, b], 'cursor')).not.toBe(base);
  });
});
