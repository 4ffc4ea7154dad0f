/**
 * The Route 53 sync handler against the real table in DynamoDB Local (instances registered through the local
 * runtime's HTTP API), with Route 53 itself replaced by aws-sdk-client-mock over a small in-memory zone that behaves
 * like Route 53 where the sync depends on it: listing ordered by reversed labels with pagination, DELETE refused
 * unless it matches the set exactly, a change batch applied all or nothing.
 */
import {
  ChangeResourceRecordSetsCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  PriorRequestNotComplete,
  Route53Client,
  Route53ServiceException,
  type ChangeResourceRecordSetsCommandInput,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import type { Context, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { jest } from '@jest/globals';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableActionsOf } from '../../../packages/cdk/src/table-access.js';
import { instanceLabel, type RecordChange } from '../../../lambdas/connectors/dns.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, runtimeDependencies, startTestRuntime } from '../../support.js';
import { batchChanges } from '../../../lambdas/adapters/route53-zone.js';
import { dnsSyncHandler } from '../../../lambdas/functions/dns-sync.js';
import { createDnsSyncDependencies, loadDnsSyncConfig } from '../../../lambdas/wiring/dns-sync.js';

const D = 'registry.internal';
const ZONE_ID = 'ZTEST0000000001';

/** Route 53's listing order: names compared label by label from the right, then type. */
function order(a: ResourceRecordSet, b: ResourceRecordSet): number {
  const ka = a.Name!.replace(/\.$/, '').split('.').reverse();
  const kb = b.Name!.replace(/\.$/, '').split('.').reverse();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  if (ka.length !== kb.length) return ka.length - kb.length;
  return a.Type! < b.Type! ? -1 : a.Type! > b.Type! ? 1 : 0;
}

const zone = new Map<string, ResourceRecordSet>();
const key = (s: ResourceRecordSet) => `${s.Name!.toLowerCase()}|${s.Type}`;
const put = (s: ResourceRecordSet) => zone.set(key(s), s);
const r53 = mockClient(Route53Client);
const changeBatches: ChangeResourceRecordSetsCommandInput[] = [];
/** Failures to inject before the next change batch succeeds. */
let failures: Error[] = [];

function fakeRoute53(): void {
  r53.reset();
  r53.on(ListResourceRecordSetsCommand).callsFake((input) => {
    expect(input.HostedZoneId).toBe(ZONE_ID);
    const sorted = [...zone.values()].sort(order);
    const from = input.StartRecordName ? sorted.findIndex((s) => order(s, { Name: input.StartRecordName, Type: input.StartRecordType ?? '' }) >= 0) : 0;
    const start = from < 0 ? sorted.length : from;
    const max = input.MaxItems ?? 300;
    const page = sorted.slice(start, start + max);
    const next = sorted[start + max];
    return {
      ResourceRecordSets: structuredClone(page),
      IsTruncated: next !== undefined,
      MaxItems: max,
      ...(next && { NextRecordName: next.Name, NextRecordType: next.Type }),
    };
  });
  r53.on(ChangeResourceRecordSetsCommand).callsFake((input: ChangeResourceRecordSetsCommandInput) => {
    const failure = failures.shift();
    if (failure) throw failure;
    changeBatches.push(structuredClone(input));
    const next = new Map(zone);
    for (const change of input.ChangeBatch!.Changes!) {
      const set = change.ResourceRecordSet!;
      if (change.Action === 'DELETE') {
        const existing = next.get(key(set));
        if (!existing || JSON.stringify(existing) !== JSON.stringify(set)) {
          throw new InvalidChangeBatch({
            message: `Tried to delete resource record set [name='${set.Name}', type='${set.Type}'] but the values provided do not match the current values`,
            $metadata: {},
          });
        }
        next.delete(key(set));
      } else next.set(key(set), structuredClone(set));
    }
    zone.clear();
    for (const [k, v] of next) zone.set(k, v);
    return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } };
  });
}

let runtime: LocalRuntime;
let handler: (event: SQSEvent | ScheduledEvent, context: Context) => Promise<{ services: number; upserts: number; deletes: number; requests: number }>;
const api = () => apiClient(runtime.url);

/** An SQS batch of EventBridge events as the rule delivers them. */
function batch(...events: Array<{ type: string; detail: object }>): SQSEvent {
  return {
    Records: events.map((e, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: JSON.stringify({ version: '0', id: `e${i}`, source: 'service-registry', 'detail-type': e.type, detail: e.detail }),
      attributes: {} as never,
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
      awsRegion: 'eu-west-1',
    })),
  };
}

const scheduled: ScheduledEvent = {
  version: '0',
  id: 's',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: {},
};

const invoke = (event: SQSEvent | ScheduledEvent) => handler(event, lambdaContext('dns-sync', 120_000));
const sortedChanges = (input: ChangeResourceRecordSetsCommandInput) =>
  input
    .ChangeBatch!.Changes!.map(
      (c) =>
        `${c.Action} ${c.ResourceRecordSet!.Name} ${c.ResourceRecordSet!.Type} ${c.ResourceRecordSet!.TTL} ${c.ResourceRecordSet!.ResourceRecords!.map((r) => r.Value).join(',')}`,
    )
    .sort();

beforeAll(async () => {
  runtime = await startTestRuntime({ prober: false });
  // The variables the construct sets on the function (test/packages/cdk/dns.test.ts checks their names there), read by
  // the same loader as in AWS; the registry over the runtime's table; Route 53 mocked (fakeRoute53).
  const config = loadDnsSyncConfig({ HOSTED_ZONE_ID: ZONE_ID, REGISTRY_DNS_DOMAIN: D, REGISTRY_DNS_TTL_SECONDS: '5' });
  handler = dnsSyncHandler(createDnsSyncDependencies(runtimeDependencies(runtime), config, new Route53Client({ maxAttempts: 1 })));
});

afterAll(async () => {
  r53.restore();
  await runtime?.stop();
});

beforeEach(() => {
  fakeRoute53();
  changeBatches.length = 0;
  failures = [];
});

describe('a batch of change events', () => {
  beforeAll(() => {
    zone.clear();
    // The zone's own records and a record of someone else: never the sync's to touch.
    put({ Name: `${D}.`, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-1.awsdns. hostmaster. 1 7200 900 1209600 86400' }] });
    put({ Name: `${D}.`, Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: 'ns-1.awsdns.' }] });
    put({ Name: `www.web.${D}.`, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"not ours"' }] });
  });

  it('recomputes each named service once and sends exactly what it lacks in one change request', async () => {
    await api().register('web', 'web-1', { address: '10.0.0.1', port: 8080, tags: ['blue'], leaseSeconds: 300 });
    await api().register('web', 'Web_2', { address: '10.0.0.2', port: 8081, weight: 50, leaseSeconds: 300 });
    const report = await invoke(
      batch(
        { type: 'Instance Registered', detail: { service: 'web', instanceId: 'web-1' } },
        { type: 'Instance Registered', detail: { service: 'web', instanceId: 'Web_2' } },
        { type: 'Instance Updated', detail: { service: 'web', instanceId: 'web-1' } },
      ),
    );
    expect(report).toEqual({ services: 1, upserts: 5, deletes: 0, requests: 1 });
    expect(changeBatches).toHaveLength(1);
    const label = instanceLabel('Web_2');
    expect(sortedChanges(changeBatches[0]!)).toEqual(
      [
        `UPSERT _web._tcp.${D}. SRV 5 0 3250 8081 ${label}.instance.web.${D}.,0 6500 8080 web-1.instance.web.${D}.`,
        `UPSERT web.${D}. A 5 10.0.0.1,10.0.0.2`,
        `UPSERT blue.web.${D}. A 5 10.0.0.1`,
        `UPSERT web-1.instance.web.${D}. A 5 10.0.0.1`,
        `UPSERT ${label}.instance.web.${D}. A 5 10.0.0.2`,
      ].sort(),
    );
    // Coalesced: the zone was listed for `web` once (its names, and its SRV set).
    expect(r53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
  });

  it('sends nothing when the zone already agrees', async () => {
    const report = await invoke(batch({ type: 'Instance Updated', detail: { service: 'web', instanceId: 'web-1' } }));
    expect(report).toEqual({ services: 1, upserts: 0, deletes: 0, requests: 0 });
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('replaces changed sets and deletes those no longer wanted, exactly as they stand, leaving other records alone', async () => {
    expect((await api().deregister('web', 'Web_2')).status).toBe(204);
    const report = await invoke(batch({ type: 'Instance Deregistered', detail: { service: 'web', instanceId: 'Web_2' } }));
    expect(report).toMatchObject({ upserts: 2, deletes: 1, requests: 1 });
    expect(sortedChanges(changeBatches[0]!)).toEqual(
      [
        `DELETE ${instanceLabel('Web_2')}.instance.web.${D}. A 5 10.0.0.2`,
        `UPSERT _web._tcp.${D}. SRV 5 0 6500 8080 web-1.instance.web.${D}.`,
        `UPSERT web.${D}. A 5 10.0.0.1`,
      ].sort(),
    );
    expect(zone.has(`www.web.${D}.|TXT`)).toBe(true);
    expect(zone.has(`${D}.|SOA`)).toBe(true);
  });

  it('coalesces several services of one batch into one change request, and reads resync events', async () => {
    await api().register('pay', 'p1', { address: '10.0.1.1', port: 443, leaseSeconds: 300 });
    await api().register('cart', 'c1', { address: 'fd00::c1', port: 80, leaseSeconds: 300 });
    const report = await invoke(
      batch(
        { type: 'Instance Registered', detail: { service: 'pay', instanceId: 'p1' } },
        { type: 'Registry Resync Required', detail: { services: ['cart', 'pay'] } },
        { type: 'Instance Registered', detail: { service: 'pay', instanceId: 'p1' } },
      ),
    );
    expect(report).toMatchObject({ services: 2, requests: 1 });
    expect(changeBatches).toHaveLength(1);
    expect(sortedChanges(changeBatches[0]!).filter((c) => c.includes(' AAAA '))).toEqual([
      `UPSERT c1.instance.cart.${D}. AAAA 5 fd00::c1`,
      `UPSERT cart.${D}. AAAA 5 fd00::c1`,
    ]);
  });

  it('ignores a message that is not an event, without failing the batch', async () => {
    const event = batch({ type: 'Instance Updated', detail: { service: 'web' } });
    event.Records[0]!.body = 'not json';
    await expect(invoke(event)).resolves.toMatchObject({ services: 0, requests: 0 });
  });
});

describe('throttling', () => {
  it('retries Throttling and PriorRequestNotComplete with backoff until the change goes through', async () => {
    await api().register('retry', 'r1', { address: '10.0.2.1', port: 80, leaseSeconds: 300 });
    failures = [
      new Route53ServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', $metadata: {} }),
    ];
    const report = await invoke(batch({ type: 'Instance Registered', detail: { service: 'retry', instanceId: 'r1' } }));
    expect(report.requests).toBe(1);
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(3);
    expect(zone.get(`retry.${D}.|A`)?.ResourceRecords).toEqual([{ Value: '10.0.2.1' }]);
  });

  it('fails the invocation (SQS retries the batch) when Route 53 keeps throttling, and on any other error at once', async () => {
    await api().register('stuck', 's1', { address: '10.0.3.1', port: 80, leaseSeconds: 300 });
    const throttled = () => new Route53ServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: {} });
    failures = Array.from({ length: 6 }, throttled);
    await expect(invoke(batch({ type: 'Instance Registered', detail: { service: 'stuck', instanceId: 's1' } }))).rejects.toThrow('Rate exceeded');
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(6);
    fakeRoute53();
    failures = [new InvalidChangeBatch({ message: 'bad batch', $metadata: {} })];
    await expect(invoke(batch({ type: 'Instance Registered', detail: { service: 'stuck', instanceId: 's1' } }))).rejects.toThrow('bad batch');
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
    expect(zone.has(`stuck.${D}.|A`)).toBe(false);
  });
});

describe('the scheduled reconcile', () => {
  it('heals what events missed and deletes the records of services that no longer exist, only records it owns', async () => {
    // A service registered without any event reaching the sync, records of a service long gone, and a record of
    // web lost from the zone.
    await api().register('quiet', 'q1', { address: '10.0.4.1', port: 80, leaseSeconds: 300 });
    put({ Name: `_old._tcp.${D}.`, Type: 'SRV', TTL: 5, ResourceRecords: [{ Value: `0 6500 80 o1.instance.old.${D}.` }] });
    put({ Name: `old.${D}.`, Type: 'A', TTL: 5, ResourceRecords: [{ Value: '10.9.9.9' }] });
    put({ Name: `o1.instance.old.${D}.`, Type: 'A', TTL: 5, ResourceRecords: [{ Value: '10.9.9.9' }] });
    put({ Name: `old.${D}.`, Type: 'TXT', TTL: 5, ResourceRecords: [{ Value: '"someone else\'s"' }] });
    zone.delete(`web.${D}.|A`);
    const report = await invoke(scheduled);
    expect(report.requests).toBe(1);
    const changes = sortedChanges(changeBatches[0]!);
    expect(changes).toEqual(
      expect.arrayContaining([
        `DELETE _old._tcp.${D}. SRV 5 0 6500 80 o1.instance.old.${D}.`,
        `DELETE old.${D}. A 5 10.9.9.9`,
        `DELETE o1.instance.old.${D}. A 5 10.9.9.9`,
        `UPSERT web.${D}. A 5 10.0.0.1`,
        `UPSERT quiet.${D}. A 5 10.0.4.1`,
      ]),
    );
    expect(changes.filter((c) => c.startsWith('DELETE'))).toHaveLength(3);
    expect(zone.has(`old.${D}.|TXT`)).toBe(true);
    expect(zone.has(`www.web.${D}.|TXT`)).toBe(true);
    // And a second run finds nothing to do.
    changeBatches.length = 0;
    expect(await invoke(scheduled)).toMatchObject({ upserts: 0, deletes: 0, requests: 0 });
  });

  it('reconciles everything when the guard engages or lets go', async () => {
    zone.delete(`quiet.${D}.|A`);
    const report = await invoke(batch({ type: 'Registry Protection Engaged', detail: { shard: 0 } }));
    expect(report.upserts).toBe(1);
    expect(sortedChanges(changeBatches[0]!)).toEqual([`UPSERT quiet.${D}. A 5 10.0.4.1`]);
  });
});

describe('change requests', () => {
  it("splits changes past Route 53's per-request limits (UPSERT counting twice), deletions first", () => {
    const set = (i: number, values: number) => ({
      name: `s${i}.${D}`,
      type: 'A' as const,
      ttl: 5,
      values: Array.from({ length: values }, (_, v) => `10.${i}.${v >> 8}.${v & 255}`),
    });
    // 3 UPSERTs of 300 values: 600 records each as counted, so no two fit one request of 1,000.
    expect(batchChanges([0, 1, 2].map((i) => ({ action: 'UPSERT', set: set(i, 300) }))).map((b) => b.length)).toEqual([1, 1, 1]);
    // 150 small changes: at most 100 per request.
    const small = Array.from({ length: 150 }, (_, i): RecordChange => ({ action: i % 2 ? 'UPSERT' : 'DELETE', set: set(i, 1) }));
    const batches = batchChanges(small);
    expect(batches.map((b) => b.length)).toEqual([100, 50]);
    expect(batches[0]!.slice(0, 75).every((c) => c.action === 'DELETE')).toBe(true);
  });
});

describe('least privilege', () => {
  it('sends the table only the requests table-access.ts grants the dns-sync function', async () => {
    // Calls go through to DynamoDB Local; the spy only records which commands the sync and the reconcile send.
    const send = jest.spyOn(DynamoDBDocumentClient.prototype, 'send');
    try {
      await invoke(batch({ type: 'Instance Updated', detail: { service: 'web' } }, { type: 'Instance Updated', detail: { service: 'nosuch' } }));
      await invoke(scheduled);
      const action: Record<string, string> = { QueryCommand: 'dynamodb:Query', GetCommand: 'dynamodb:GetItem' };
      const used = [
        ...new Set(send.mock.calls.map(([command]) => action[(command as object).constructor.name] ?? (command as object).constructor.name)),
      ].sort();
      expect(used).toEqual(tableActionsOf('dns-sync').sort());
    } finally {
      send.mockRestore();
    }
  });
});
