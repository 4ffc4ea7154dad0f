/** The DNS view's pure mapping: instances → record sets, name parsing, instance labels, change planning. */
import {
  fitSet,
  fromText,
  instanceLabel,
  isOwnedName,
  parseName,
  planChanges,
  serviceRecordSets,
  srvText,
  srvWeight,
  type DnsInstance,
} from '../../../lambdas/connectors/dns.js';

const zone = { domain: 'registry.internal', ttlSeconds: 5 };
const inst = (instanceId: string, address: string, extra: Partial<DnsInstance> = {}): DnsInstance => ({
  instanceId,
  address,
  port: 8080,
  weight: 100,
  tags: [],
  ...extra,
});

describe('instanceLabel', () => {
  it('keeps an id that is already a lower-case host name label', () => {
    expect(instanceLabel('orders-1')).toBe('orders-1');
  });

  it('hashes ids that are not labels, deterministically and without case folding them together', () => {
    const upper = instanceLabel('Orders-1');
    expect(upper).toMatch(/^xx--[a-z2-7]{26}$/);
    expect(instanceLabel('Orders-1')).toBe(upper);
    expect(instanceLabel('orders-1')).not.toBe(upper);
    expect(instanceLabel('host.example:8080')).toMatch(/^xx--[a-z2-7]{26}$/);
    expect(instanceLabel('a'.repeat(64))).toMatch(/^xx--/);
  });

  it("hashes an id shaped like a hashed label, so no id can spell another id's label", () => {
    const hashed = instanceLabel('Orders-1');
    expect(instanceLabel(hashed)).not.toBe(hashed);
  });
});

describe('srvWeight', () => {
  it('scales the registry weight 0-1000 into SRV weights keeping ratios', () => {
    expect([srvWeight(0), srvWeight(1), srvWeight(100), srvWeight(1000)]).toEqual([0, 65, 6500, 65000]);
  });
});

describe('parseName', () => {
  it('finds the service of every name the view serves, ignoring case and a trailing dot', () => {
    const d = 'registry.internal';
    expect(parseName('_Orders._TCP.registry.internal.', d)).toEqual({ kind: 'service', service: 'orders' });
    expect(parseName('orders.registry.internal', d)).toEqual({ kind: 'service', service: 'orders' });
    expect(parseName('v2.orders.registry.internal', d)).toEqual({ kind: 'service', service: 'orders' });
    expect(parseName('a-1.instance.orders.registry.internal', d)).toEqual({ kind: 'service', service: 'orders' });
  });

  it('tells the apex, names outside the domain and names no service could own apart', () => {
    const d = 'registry.internal';
    expect(parseName('registry.internal', d)).toEqual({ kind: 'apex' });
    expect(parseName('example.com', d)).toEqual({ kind: 'outside' });
    expect(parseName('evilregistry.internal', d)).toEqual({ kind: 'outside' });
    expect(parseName('_tcp.registry.internal', d)).toEqual({ kind: 'none' });
    expect(parseName('_bad_._tcp.registry.internal', d)).toEqual({ kind: 'none' });
  });
});

describe('serviceRecordSets', () => {
  it('builds SRV, A, AAAA, tag and instance sets of the healthy instances', () => {
    const a = inst('a', '10.0.0.1', { tags: ['v2', 'Canary'], weight: 200 });
    const b = inst('b', 'fd00::1', { port: 9090 });
    const down = inst('c', '10.0.0.3', { tags: ['v2'] });
    const sets = serviceRecordSets('orders', [a, b], [a, b, down], zone);
    expect(sets).toEqual([
      {
        name: '_orders._tcp.registry.internal',
        type: 'SRV',
        ttl: 5,
        values: [
          { priority: 0, weight: 13000, port: 8080, target: 'a.instance.orders.registry.internal' },
          { priority: 0, weight: 6500, port: 9090, target: 'b.instance.orders.registry.internal' },
        ],
      },
      { name: 'a.instance.orders.registry.internal', type: 'A', ttl: 5, values: ['10.0.0.1'] },
      { name: 'b.instance.orders.registry.internal', type: 'AAAA', ttl: 5, values: ['fd00::1'] },
      { name: 'canary.orders.registry.internal', type: 'A', ttl: 5, values: ['10.0.0.1'] },
      { name: 'orders.registry.internal', type: 'A', ttl: 5, values: ['10.0.0.1'] },
      { name: 'orders.registry.internal', type: 'AAAA', ttl: 5, values: ['fd00::1'] },
      { name: 'v2.orders.registry.internal', type: 'A', ttl: 5, values: ['10.0.0.1'] },
    ]);
  });

  it('fails open per name: with no healthy instance a name answers with every live one, like healthy_or_else_all', () => {
    const down1 = inst('a', '10.0.0.1', { tags: ['blue'] });
    const down2 = inst('b', '10.0.0.2');
    const healthyGreen = inst('g', '10.0.0.9', { tags: ['green'] });
    const sets = serviceRecordSets('web', [healthyGreen], [down1, down2, healthyGreen], zone);
    expect(sets.find((s) => s.name === 'web.registry.internal')?.values).toEqual(['10.0.0.9']);
    expect(sets.find((s) => s.name === 'blue.web.registry.internal')?.values).toEqual(['10.0.0.1']);
    expect(serviceRecordSets('web', [], [down1, down2], zone).find((s) => s.name === 'web.registry.internal')?.values).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('leaves hostnames out of A/AAAA and makes them the SRV target themselves', () => {
    const sets = serviceRecordSets('db', [inst('h', 'DB-1.example.com.')], [inst('h', 'DB-1.example.com.')], zone);
    expect(sets).toEqual([
      { name: '_db._tcp.registry.internal', type: 'SRV', ttl: 5, values: [{ priority: 0, weight: 6500, port: 8080, target: 'db-1.example.com' }] },
    ]);
  });

  it('has no sets for a service without instances, and never a value twice', () => {
    expect(serviceRecordSets('gone', [], [], zone)).toEqual([]);
    const twice = serviceRecordSets('x', [inst('a', '10.0.0.1'), inst('b', '10.0.0.1', { port: 81 })], [], zone);
    expect(twice.find((s) => s.name === 'x.registry.internal')?.values).toEqual(['10.0.0.1']);
  });

  it('skips tags that are not host name labels', () => {
    const sets = serviceRecordSets('x', [inst('a', '10.0.0.1', { tags: ['has space', 'under_score', 'ok'] })], [], zone);
    expect(sets.map((s) => s.name)).toEqual(['_x._tcp.registry.internal', 'a.instance.x.registry.internal', 'ok.x.registry.internal', 'x.registry.internal']);
  });
});

describe('planChanges', () => {
  const desired = serviceRecordSets('orders', [inst('a', '10.0.0.1')], [], zone);

  it('sends nothing when the zone already holds the sets, in Route 53 text form', () => {
    const current = desired.map(
      (s) =>
        fromText(
          `${s.name}.`,
          s.type,
          s.ttl,
          s.type === 'SRV' ? s.values.map((v) => `${v.priority} ${v.weight} ${v.port} ${v.target}.`) : (s.values as string[]),
        )!,
    );
    expect(planChanges(desired, current)).toEqual([]);
  });

  it('upserts what differs and deletes what is no longer wanted, exactly as it stands', () => {
    const stale = fromText('orders.registry.internal.', 'A', 5, ['10.0.0.7'])!;
    const orphan = fromText('old.orders.registry.internal.', 'A', 5, ['10.0.0.8'])!;
    const changes = planChanges(desired, [stale, orphan]);
    expect(changes.filter((c) => c.action === 'UPSERT').map((c) => `${c.set.name} ${c.set.type}`)).toEqual([
      '_orders._tcp.registry.internal SRV',
      'a.instance.orders.registry.internal A',
      'orders.registry.internal A',
    ]);
    expect(changes.filter((c) => c.action === 'DELETE')).toEqual([{ action: 'DELETE', set: orphan }]);
  });

  it('treats a changed TTL as a difference and equal IPv6 spellings as the same', () => {
    const v6 = serviceRecordSets('s', [inst('a', 'fd00:0:0::1')], [], zone).filter((s) => s.type === 'AAAA');
    expect(
      planChanges(
        v6,
        v6.map((s) => fromText(s.name, s.type, 5, ['fd00:0000::0001'])!),
      ),
    ).toEqual([]);
    expect(
      planChanges(
        v6,
        v6.map((s) => fromText(s.name, s.type, 60, ['fd00::1'])!),
      ),
    ).toHaveLength(v6.length);
  });
});

describe('isOwnedName', () => {
  it('claims only the names and types the view writes', () => {
    const d = 'registry.internal';
    expect(isOwnedName('_orders._tcp.registry.internal.', 'SRV', d)).toBe(true);
    expect(isOwnedName('orders.registry.internal.', 'A', d)).toBe(true);
    expect(isOwnedName('v2.orders.registry.internal.', 'AAAA', d)).toBe(true);
    expect(isOwnedName('a.instance.orders.registry.internal.', 'A', d)).toBe(true);
    expect(isOwnedName('registry.internal.', 'SOA', d)).toBe(false);
    expect(isOwnedName('orders.registry.internal.', 'TXT', d)).toBe(false);
    expect(isOwnedName('a.b.orders.registry.internal.', 'A', d)).toBe(false);
    expect(isOwnedName('www.example.com.', 'A', d)).toBe(false);
  });
});

describe('fitSet', () => {
  it('keeps the first sorted values within the limits, so a recomputed set compares equal', () => {
    const many = Array.from({ length: 30 }, (_, i) => inst(`i-${String(i).padStart(2, '0')}`, `10.0.${i}.1`));
    const set = serviceRecordSets('big', many, many, zone).find((s) => s.type === 'SRV')!;
    const fitted = fitSet(set, { values: 10, characters: 100_000 });
    expect(fitted.values).toEqual(set.values.slice(0, 10));
    expect(fitSet(set, { values: 400, characters: 200 }).values.length).toBe(Math.floor(200 / srvText(set.values[0] as never).length));
    expect(fitSet(set, { values: 400, characters: 100_000 })).toBe(set);
    expect(planChanges([fitted], [fitSet(set, { values: 10, characters: 100_000 })])).toEqual([]);
  });
});
