/**
 * The Prometheus HTTP SD mapping, without a server: instances → target groups, label rules, the query schema, and
 * reading every page through a fake registry (the real one is exercised in test/e2e/connectors/prometheus-http and prometheus).
 */
import { registerBody } from '@service-registry/contracts';
import type { Caller } from '../../../lambdas/domain/caller.js';
import { ForbiddenError, ValidationError } from '../../../lambdas/domain/errors.js';
import { draftInstance, keptByLeaseGuard, type Instance } from '../../../lambdas/domain/instance.js';
import { parse } from '../../../lambdas/http/validate.js';
import { openApiDocument } from '../../../lambdas/http/openapi.js';
import {
  groupBytes,
  MAX_ANSWER_BYTES,
  metadataLabels,
  prometheusSdQuery,
  sanitiseLabelSuffix,
  tagsLabel,
  targetGroupOf,
  targetGroups,
  targetOf,
} from '../../../lambdas/connectors/prometheus.js';
import { collectTargetGroups, type TargetSource } from '../../../lambdas/connectors/prometheus-targets.js';
import { queryObject } from '../../../lambdas/http/query.js';

const instance = (service: string, instanceId: string, body: Record<string, unknown> = {}, extra: Partial<Instance> = {}): Instance => ({
  ...draftInstance({ service, instanceId }, registerBody.parse({ address: '10.0.0.1', port: 8080, ...body }), 'owner', 1_700_000_000_000),
  revision: 1,
  ...extra,
});

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

describe('targetGroupOf', () => {
  it('maps an instance to one target with the registry labels', () => {
    const group = targetGroupOf(instance('orders', 'orders-1', { zone: 'eu-west-1a', tags: ['v2', 'canary'], metadata: { build: '42' } }));
    expect(group).toEqual({
      targets: ['10.0.0.1:8080'],
      labels: {
        __meta_registry_service: 'orders',
        __meta_registry_instance_id: 'orders-1',
        __meta_registry_zone: 'eu-west-1a',
        __meta_registry_tags: ',v2,canary,',
        __meta_registry_metadata_build: '42',
        __meta_registry_health: 'passing',
        __meta_registry_status: 'UP',
      },
    });
    expect(targetGroups.parse([group])).toEqual([group]);
  });

  it('leaves the zone label out when the instance has no zone, and marks no lease as expired', () => {
    const { labels } = targetGroupOf(instance('orders', 'a'));
    expect(labels).not.toHaveProperty('__meta_registry_zone');
    expect(labels).not.toHaveProperty('__meta_registry_lease_expired');
  });

  it('says lease_expired "true" and health unknown for an instance the lease guard keeps', () => {
    const { labels } = targetGroupOf(keptByLeaseGuard(instance('orders', 'a')));
    expect(labels).toMatchObject({ __meta_registry_lease_expired: 'true', __meta_registry_health: 'unknown' });
  });

  it('reports status and health as the registry holds them', () => {
    const { labels } = targetGroupOf(instance('orders', 'a', {}, { status: 'DRAINING', health: 'critical' }));
    expect(labels).toMatchObject({ __meta_registry_status: 'DRAINING', __meta_registry_health: 'critical' });
  });

  it('brackets IPv6 addresses in the target and leaves hostnames and IPv4 as they are', () => {
    expect(targetOf('2001:db8::1', 9100)).toBe('[2001:db8::1]:9100');
    expect(targetOf('::1', 80)).toBe('[::1]:80');
    expect(targetOf('::ffff:10.0.0.1', 80)).toBe('[::ffff:10.0.0.1]:80');
    expect(targetOf('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(targetOf('orders.internal', 443)).toBe('orders.internal:443');
    expect(targetGroupOf(instance('orders', 'a', { address: '2001:db8::7' })).targets).toEqual(['[2001:db8::7]:8080']);
  });

  it('sets __metrics_path__ and __scheme__ from prometheus.io/path and prometheus.io/scheme', () => {
    const { labels } = targetGroupOf(instance('orders', 'a', { metadata: { 'prometheus.io/path': '/internal/metrics', 'prometheus.io/scheme': 'https' } }));
    expect(labels).toMatchObject({
      __metrics_path__: '/internal/metrics',
      __scheme__: 'https',
      __meta_registry_metadata_prometheus_io_path: '/internal/metrics',
      __meta_registry_metadata_prometheus_io_scheme: 'https',
    });
  });

  it.each([
    ['a path without a leading slash', { 'prometheus.io/path': 'metrics' }],
    ['a path with a query string', { 'prometheus.io/path': '/metrics?x=1' }],
    ['a path with a space', { 'prometheus.io/path': '/my metrics' }],
    ['a scheme other than http or https', { 'prometheus.io/scheme': 'ftp' }],
    ['an upper-case scheme', { 'prometheus.io/scheme': 'HTTPS' }],
  ])('ignores %s for the target labels but keeps it as a metadata label', (_name, metadata) => {
    const { labels } = targetGroupOf(instance('orders', 'a', { metadata }));
    expect(labels).not.toHaveProperty('__metrics_path__');
    expect(labels).not.toHaveProperty('__scheme__');
    expect(Object.values(labels)).toContain(Object.values(metadata)[0]);
  });

  it('produces only valid Prometheus label names, whatever the metadata keys', () => {
    const metadata = { 'a.b': '1', ünïcode: '2', '9lives': '3', 'with space': '4', 'emoji😀': '5', _: '6' };
    const names = Object.keys(targetGroupOf(instance('orders', 'a', { metadata })).labels);
    expect(names.filter((name) => !LABEL_NAME.test(name))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['__meta_registry_metadata_9lives', '__meta_registry_metadata_with_space', '__meta_registry_metadata__']));
  });
});

describe('label rules', () => {
  it('sanitises a metadata key to [a-zA-Z0-9_], one underscore per UTF-16 code unit', () => {
    expect(sanitiseLabelSuffix('prometheus.io/path')).toBe('prometheus_io_path');
    expect(sanitiseLabelSuffix('Build_ID-2')).toBe('Build_ID_2');
    expect(sanitiseLabelSuffix('é')).toBe('_');
    expect(sanitiseLabelSuffix('😀')).toBe('__');
  });

  it('gives a collision after sanitising to the key that sorts first, whatever the stored order', () => {
    const expected = { __meta_registry_metadata_a_b: 'dash' }; // 'a-b' < 'a.b' < 'a/b' < 'a_b'
    expect(metadataLabels({ a_b: 'underscore', 'a/b': 'slash', 'a.b': 'dot', 'a-b': 'dash' })).toEqual(expected);
    expect(metadataLabels({ 'a-b': 'dash', 'a.b': 'dot', 'a/b': 'slash', a_b: 'underscore' })).toEqual(expected);
  });

  it("joins tags Consul's way: the separator on both ends, ',,' for none", () => {
    expect(tagsLabel(['a', 'b'])).toBe(',a,b,');
    expect(tagsLabel(['a'])).toBe(',a,');
    expect(tagsLabel([])).toBe(',,');
  });

  it("fits ~14,600 usual instances, ~700 of the largest plain ones and ~250 of the largest all-escaped ones in one answer (the README's figures)", () => {
    const fits = (body: Record<string, unknown>) => Math.floor((MAX_ANSWER_BYTES - 2) / groupBytes(targetGroupOf(instance('orders', 'orders-7f9c2a', body))));
    const usual = { address: '10.0.3.17', zone: 'eu-west-1a', tags: ['v2', 'canary'], metadata: { build: '42', 'prometheus.io/path': '/metrics' } };
    const tags = (fill: string) => Array.from({ length: 32 }, (_, k) => `${k}`.padEnd(128, fill));
    expect(fits(usual)).toBe(14_661);
    expect(fits({ ...usual, tags: tags('x'), metadata: Object.fromEntries(Array.from({ length: 32 }, (_, k) => [`key-${k}`, 'v'.repeat(100)])) })).toBe(704);
    expect(fits({ tags: tags('"'), metadata: Object.fromEntries(Array.from({ length: 4 }, (_, k) => [`k${k}`, '"'.repeat(490)])) })).toBe(256);
  });

  it('counts the bytes a group takes in the Lambda response, escapes included', () => {
    const group = { targets: ['h:1'], labels: { a: 'x"y' } };
    const json = JSON.stringify(group); // {"targets":["h:1"],"labels":{"a":"x\"y"}}
    const escapes = [...json].filter((c) => c === '"' || c === '\\').length;
    expect(groupBytes(group)).toBe(json.length + escapes + 1);
    expect(groupBytes({ targets: ['h:1'], labels: { a: 'é' } })).toBe(groupBytes({ targets: ['h:1'], labels: { a: 'e' } }) + 1);
  });
});

describe('the query', () => {
  const query = (raw: string) => parse(prometheusSdQuery, queryObject([...new URLSearchParams(raw)], ['service', 'tag']), 'query');
  const problem = (raw: string) => {
    try {
      query(raw);
    } catch (error) {
      return (error as ValidationError).problems;
    }
    throw new Error('parsed');
  };

  it('defaults like discovery: status healthy, no tag, every service', () => {
    expect(query('')).toEqual({ service: [], tag: [], status: 'healthy' });
  });

  it('takes repeated service= and tag=, a zone and a status', () => {
    expect(query('service=a&service=b&tag=x&tag=y&zone=z1&status=all')).toEqual({ service: ['a', 'b'], tag: ['x', 'y'], zone: 'z1', status: 'all' });
  });

  it.each([
    ['an unknown key', 'limit=5', 'query.limit'],
    ['a meta filter (not offered here)', 'meta.build=42', 'query.meta.build'],
    ['a bad service name', 'service=Orders', 'query.service.0'],
    ['a bad status', 'status=sick', 'query.status'],
    ['an empty zone', 'zone=', 'query.zone'],
    ['a repeated zone', 'zone=a&zone=b', 'query.zone'],
    ['an empty tag', 'tag=', 'query.tag.0'],
    ['more than 100 services', Array.from({ length: 101 }, (_, i) => `service=s${i}`).join('&'), 'query.service'],
  ])('refuses %s with a 400 naming the parameter', (_name, raw, field) => {
    expect(problem(raw)).toEqual([expect.objectContaining({ field })]);
  });
});

describe('collectTargetGroups', () => {
  const caller: Caller = { principal: 'p', services: [], read: ['*'], admin: false };
  /** A registry of `pageSize`-instance pages that refuses services outside `readable`, and counts its reads. */
  const fakeRegistry = (fleet: Record<string, number>, { pageSize = 3, readable = Object.keys(fleet), servicePage = 2 } = {}) => {
    const reads = { discover: [] as string[], listServices: 0 };
    const source: TargetSource = {
      async discover(_caller, service, query) {
        reads.discover.push(`${service}@${query.cursor ?? ''}`);
        if (!readable.includes(service)) throw new ForbiddenError(`principal 'p' may not read service '${service}'`);
        const all = Array.from({ length: fleet[service] ?? 0 }, (_, i) => instance(service, `i-${String(i).padStart(3, '0')}`));
        const start = Number(query.cursor ?? 0);
        const page = all.slice(start, start + pageSize);
        const next = start + pageSize < all.length ? String(start + pageSize) : undefined;
        return { instances: page, etag: 'x', ...(next && { cursor: next }) };
      },
      async listServices(_caller, after, _limit) {
        reads.listServices++;
        const names = Object.keys(fleet)
          .filter((s) => readable.includes(s))
          .sort();
        const start = after === undefined ? 0 : names.indexOf(after) + 1;
        const page = names.slice(start, start + servicePage);
        const more = start + servicePage < names.length;
        return { services: page.map((service) => ({ service, total: 1, healthy: 1 })), ...(more && { cursor: page[page.length - 1] }) };
      },
    };
    return { source, reads };
  };
  const all = prometheusSdQuery.parse({});
  const ids = (groups: Awaited<ReturnType<typeof collectTargetGroups>>) =>
    groups.map((g) => `${g.labels.__meta_registry_service}/${g.labels.__meta_registry_instance_id}`);

  it('follows every service page and every instance page, ordered by service then instance', async () => {
    const { source, reads } = fakeRegistry({ c: 2, a: 7, b: 0, d: 1, e: 4 });
    const groups = await collectTargetGroups(source, caller, all);
    expect(groups).toHaveLength(14);
    expect(ids(groups).slice(0, 8)).toEqual(['a/i-000', 'a/i-001', 'a/i-002', 'a/i-003', 'a/i-004', 'a/i-005', 'a/i-006', 'c/i-000']);
    expect(reads.listServices).toBe(3); // 5 services, 2 a page
    expect(reads.discover.filter((r) => r.startsWith('a@'))).toEqual(['a@', 'a@3', 'a@6']);
  });

  it('reads only the services the registry lists for the caller when no service= is given', async () => {
    const { source, reads } = fakeRegistry({ a: 1, b: 1 }, { readable: ['a'] });
    expect(ids(await collectTargetGroups(source, caller, all))).toEqual(['a/i-000']);
    expect(reads.discover).toEqual(['a@']);
  });

  it('reads each named service once, even when named twice', async () => {
    const { source, reads } = fakeRegistry({ a: 1, b: 1 });
    expect(ids(await collectTargetGroups(source, caller, prometheusSdQuery.parse({ service: ['b', 'b'] })))).toEqual(['b/i-000']);
    expect(reads).toEqual({ discover: ['b@'], listServices: 0 });
  });

  it('fails with the 403 of the first forbidden service in the order given', async () => {
    const { source } = fakeRegistry({ a: 1, b: 1, c: 1 }, { readable: ['a'] });
    const query = prometheusSdQuery.parse({ service: ['a', 'c', 'b'] });
    await expect(collectTargetGroups(source, caller, query, { concurrency: 3 })).rejects.toThrow(new ForbiddenError("principal 'p' may not read service 'c'"));
  });

  it('answers [] when nothing matches', async () => {
    const { source } = fakeRegistry({});
    expect(await collectTargetGroups(source, caller, all)).toEqual([]);
  });

  it('passes zone, tags and status to discovery, and asks for the largest pages', async () => {
    const seen: unknown[] = [];
    const source: TargetSource = {
      discover: async (_c, _s, query, meta) => (seen.push({ query, meta }), { instances: [], etag: 'x' }),
      listServices: async () => ({ services: [] }),
    };
    await collectTargetGroups(source, caller, prometheusSdQuery.parse({ service: ['a'], zone: 'z', tag: ['t1', 't2'], status: 'healthy_or_else_all' }));
    expect(seen).toEqual([{ query: { status: 'healthy_or_else_all', zone: 'z', tag: ['t1', 't2'], limit: 1000, cursor: undefined }, meta: {} }]);
  });

  it('fails with a 400 naming the query, rather than answer a partial list, when the list would not fit', async () => {
    const { source } = fakeRegistry({ a: 10, b: 10 });
    const full = await collectTargetGroups(source, caller, all);
    const bytes = 2 + full.reduce((sum, g) => sum + groupBytes(g), 0);
    expect(await collectTargetGroups(source, caller, all, { maxBytes: bytes })).toHaveLength(20);
    const refusal = collectTargetGroups(source, caller, all, { maxBytes: bytes - 1 });
    await expect(refusal).rejects.toBeInstanceOf(ValidationError);
    await expect(refusal).rejects.toMatchObject({ problems: [{ field: 'query', message: expect.stringMatching(/more than a Lambda response can carry/) }] });
  });

  it('stops reading pages once the list is known to be too large', async () => {
    const { source, reads } = fakeRegistry({ a: 30 }, { pageSize: 3 });
    await expect(collectTargetGroups(source, caller, all, { maxBytes: 100 })).rejects.toBeInstanceOf(ValidationError);
    expect(reads.discover).toEqual(['a@']);
  });
});

describe('the OpenAPI operation', () => {
  it('documents the query, the target groups and the 4xx answers of GET /v1/sd/prometheus', () => {
    const doc = openApiDocument() as any;
    const operation = doc.paths['/v1/sd/prometheus'].get;
    expect(operation.operationId).toBe('PrometheusServiceDiscovery');
    expect(operation.parameters.map((p: any) => `${p.in}:${p.name}`).sort()).toEqual(['query:service', 'query:status', 'query:tag', 'query:zone']);
    expect(operation.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/PrometheusTargetGroups' });
    expect(doc.components.schemas.PrometheusTargetGroup.required).toEqual(['targets', 'labels']);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
  });
});
