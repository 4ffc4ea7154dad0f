/** Every kind of bad input gets a 400 naming the field, and the table is byte-for-byte unchanged afterwards. */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../../local/dynamodb-local.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, eventually, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  runtime = await startTestRuntime({ allowLoopback: false, prober: false });
  api = apiClient(runtime.url);
  dynamo = new DynamoDBClient(localClientConfig(runtime.dynamoEndpoint));
  expect((await api.register('orders', 'existing', { address: '10.0.0.1', port: 80, leaseSeconds: 3600 })).status).toBe(201);
  // The stream publisher writes the service's counters after the registration: wait for them, so every snapshot
  // below compares settled state.
  await eventually(
    () => api.services(),
    (r) => r.body.services?.some((s: any) => s.service === 'orders'),
  );
});
afterAll(async () => {
  dynamo.destroy();
  await runtime.stop();
});

async function snapshot(): Promise<string> {
  const out = await dynamo.send(new ScanCommand({ TableName: runtime.tableName, ConsistentRead: true }));
  // History items are written asynchronously from the stream (for the registrations before the snapshot) and are
  // not state a refused request could change; they would only make the comparison race.
  const state = (out.Items ?? []).filter((item) => !(item.pk?.S ?? '').startsWith('HISTORY#'));
  return JSON.stringify(state.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
}

const ok = { address: '10.0.0.2', port: 8080 };
const put = (id: string) => `/v1/services/orders/instances/${id}`;

type Case = [name: string, method: string, path: string, body: unknown, field: string, headers?: Record<string, string>];

const cases: Case[] = [
  ['malformed JSON', 'PUT', put('existing'), '{"address": "10.0.0.2", ', 'body'],
  ['a JSON array body', 'PUT', put('existing'), '[]', 'body'],
  ['no body', 'PUT', put('existing'), undefined, 'body'],
  ['a non-JSON content type', 'PUT', put('existing'), JSON.stringify(ok), 'body', { 'content-type': 'text/plain' }],
  ['a body over 16 KB', 'PUT', put('existing'), { ...ok, metadata: { big: 'x'.repeat(17 * 1024) } }, 'body'],
  ['a port given as a string', 'PUT', put('existing'), { ...ok, port: '8080' }, 'body.port'],
  ['port 0', 'PUT', put('existing'), { ...ok, port: 0 }, 'body.port'],
  ['port 65536', 'PUT', put('existing'), { ...ok, port: 65536 }, 'body.port'],
  ['a fractional port', 'PUT', put('existing'), { ...ok, port: 80.5 }, 'body.port'],
  ['a missing address', 'PUT', put('existing'), { port: 80 }, 'body.address'],
  ['an address that is neither IP nor hostname', 'PUT', put('existing'), { ...ok, address: 'not an address!' }, 'body.address'],
  ['the metadata address', 'PUT', put('existing'), { ...ok, address: '169.254.169.254' }, 'body.address'],
  ['a link-local address', 'PUT', put('existing'), { ...ok, address: '169.254.1.1' }, 'body.address'],
  ['an IPv6 link-local address', 'PUT', put('existing'), { ...ok, address: 'fe80::1' }, 'body.address'],
  ['the IPv6 metadata address', 'PUT', put('existing'), { ...ok, address: 'fd00:ec2::254' }, 'body.address'],
  ['an IPv4-mapped metadata address', 'PUT', put('existing'), { ...ok, address: '::ffff:169.254.169.254' }, 'body.address'],
  ['the unspecified address', 'PUT', put('existing'), { ...ok, address: '0.0.0.0' }, 'body.address'],
  ['a multicast address', 'PUT', put('existing'), { ...ok, address: '224.0.0.1' }, 'body.address'],
  ['the broadcast address', 'PUT', put('existing'), { ...ok, address: '255.255.255.255' }, 'body.address'],
  ['loopback when loopback is not allowed', 'PUT', put('existing'), { ...ok, address: '127.0.0.1' }, 'body.address'],
  ['a hostname resolving to loopback when loopback is not allowed', 'PUT', put('existing'), { ...ok, address: 'localhost' }, 'body.address'],
  ['an unknown protocol', 'PUT', put('existing'), { ...ok, protocol: 'ftp' }, 'body.protocol'],
  ['weight 1001', 'PUT', put('existing'), { ...ok, weight: 1001 }, 'body.weight'],
  ['a negative weight', 'PUT', put('existing'), { ...ok, weight: -1 }, 'body.weight'],
  ['33 tags', 'PUT', put('existing'), { ...ok, tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 'body.tags'],
  ['33 metadata keys', 'PUT', put('existing'), { ...ok, metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, 'body.metadata'],
  [
    'metadata over 4 KB',
    'PUT',
    put('existing'),
    { ...ok, metadata: { a: 'x'.repeat(1000), b: 'x'.repeat(1000), c: 'x'.repeat(1000), d: 'x'.repeat(1000), e: 'x'.repeat(500) } },
    'body.metadata',
  ],
  ['a non-string metadata value', 'PUT', put('existing'), { ...ok, metadata: { a: 1 } }, 'body.metadata.a'],
  ['leaseSeconds 1', 'PUT', put('existing'), { ...ok, leaseSeconds: 1 }, 'body.leaseSeconds'],
  ['leaseSeconds 86401', 'PUT', put('existing'), { ...ok, leaseSeconds: 86401 }, 'body.leaseSeconds'],
  ['an unknown field', 'PUT', put('existing'), { ...ok, colour: 'blue' }, 'body.colour'],
  ['a health check of an unknown type', 'PUT', put('existing'), { ...ok, healthCheck: { type: 'udp' } }, 'body.healthCheck.type'],
  [
    'an unknown field in the health check',
    'PUT',
    put('existing'),
    { ...ok, healthCheck: { type: 'http', url: 'http://169.254.169.254/' } },
    'body.healthCheck.url',
  ],
  ['a health check path that is a URL', 'PUT', put('existing'), { ...ok, healthCheck: { type: 'http', path: 'http://x/' } }, 'body.healthCheck.path'],
  ['an upper-case service name', 'PUT', '/v1/services/Orders/instances/a', ok, 'path.service'],
  ['a 64-character service name', 'PUT', `/v1/services/${'a'.repeat(64)}/instances/a`, ok, 'path.service'],
  ['a service name ending in -', 'PUT', '/v1/services/orders-/instances/a', ok, 'path.service'],
  ['an instance id with a slash', 'PUT', '/v1/services/orders/instances/a%2Fb', ok, 'path.instanceId'],
  ['a 129-character instance id', 'PUT', put('i'.repeat(129)), ok, 'path.instanceId'],
  ['an unknown status in a patch', 'PATCH', put('existing'), { status: 'DOWN' }, 'body.status'],
  ['an unknown field in a patch', 'PATCH', put('existing'), { address: '10.9.9.9' }, 'body.address'],
  ['an empty patch', 'PATCH', put('existing'), {}, 'body'],
  ['limit 0 in discovery', 'GET', '/v1/services/orders/instances?limit=0', undefined, 'query.limit'],
  ['a non-numeric limit', 'GET', '/v1/services/orders/instances?limit=ten', undefined, 'query.limit'],
  ['an unknown discovery status', 'GET', '/v1/services/orders/instances?status=up', undefined, 'query.status'],
  ['an unknown query parameter', 'GET', '/v1/services/orders/instances?colour=blue', undefined, 'query.colour'],
  ['a repeated zone', 'GET', '/v1/services/orders/instances?zone=a&zone=b', undefined, 'query.zone'],
  ['an empty metadata key', 'GET', '/v1/services/orders/instances?meta.=x', undefined, 'query.meta.'],
  ['a bad service cursor', 'GET', '/v1/services?cursor=NOT%20A%20SERVICE', undefined, 'query.cursor'],
];

describe('bad input', () => {
  const rows = cases.map(([name, method, path, body, field, headers]) => ({ name, method, path, body, field, headers }));
  it.each(rows)('answers 400 naming the field for $name, and changes nothing', async ({ method, path, body, field, headers }) => {
    const before = await snapshot();
    const res = await api.call(method, path, body, headers);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(res.body.error.message).toContain(field);
    expect(await snapshot()).toBe(before);
  });
});
