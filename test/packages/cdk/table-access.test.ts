/**
 * Least privilege per function, checked against what the code does rather than against its own declaration: every
 * route handler runs in process against a mocked DynamoDB client (aws-sdk-client-mock) on the paths it has
 * (success, refusal, a live and a just-expired instance, an empty and a full page), the commands it sends are
 * recorded and mapped to IAM actions, and those must be granted to its function in the synthesized template —
 * and, over the main paths, be all it is granted.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceRegistry } from '@service-registry/cdk';
import { draftInstance, type Instance } from '../../../lambdas/domain/instance.js';
import { routes } from '../../../lambdas/routes.js';
import { instanceItemKey, protectionItemKey } from '../../../lambdas/table.js';
import { shardOf } from '../../../lambdas/domain/shards.js';
import { registerBody } from '@service-registry/contracts';
import { lambdaContext } from '../../../local/lambda-context.js';

// GIVEN the template of a registry with 3 prober shards
const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
new ServiceRegistry(stack, 'Registry', { proberShards: 3 });
const template = Template.fromStack(stack);
const functions = template.findResources('AWS::Lambda::Function') as Record<string, any>;
const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];

/** The function resource of a route handler. */
function functionOf(handler: string): any {
  const route = routes.find((r) => r.handler === handler)!;
  const ids = Object.keys(functions).filter((id) => id.startsWith(`Registry${route.id}Function`));
  expect(ids).toHaveLength(1);
  return functions[ids[0]!];
}

/** The DynamoDB actions (without `dynamodb:`) the template grants a route handler's function. */
function grantedActions(handler: string): string[] {
  const roleId = functionOf(handler).Properties.Role['Fn::GetAtt'][0];
  return [
    ...new Set(
      policies
        .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()))
        .filter((a: string) => a.startsWith('dynamodb:'))
        .map((a: string) => a.slice('dynamodb:'.length)),
    ),
  ].sort();
}

// The handlers read their configuration at import: give them what the template gives discover (its literal values;
// the table name is a reference there), so they also prove the construct's environment loads.
const discoverEnvironment = functionOf('discover').Properties.Environment.Variables as Record<string, unknown>;
for (const [name, value] of Object.entries(discoverEnvironment)) if (typeof value === 'string') process.env[name] = value;
process.env.TABLE_NAME = 'registry';
expect(process.env.REGISTRY_PROBE_SHARDS).toBe('3');

const documents = mockClient(DynamoDBDocumentClient);
const raw = mockClient(DynamoDBClient);
type Handler = (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyStructuredResultV2>;
const handlers: Record<string, Handler> = {};
for (const handler of [
  'register',
  'patch-instance',
  'heartbeat',
  'register-many',
  'heartbeat-many',
  'deregister',
  'get-instance',
  'discover',
  'list-services',
  'sd-prometheus',
  'eureka',
  'tokens',
  'history-read',
]) {
  handlers[handler] = (await import(`../../../lambdas/handlers/${handler}.js`)).handler as Handler;
}

/**
 * The IAM action of a command: the document client's `GetCommand`/`PutCommand`/`UpdateCommand`/`DeleteCommand`
 * are `GetItem`/`PutItem`/`UpdateItem`/`DeleteItem`, `BatchGet`/`BatchWrite` the `…Item` batch actions; the low-level
 * client's commands (`GetItemCommand`, `QueryCommand`, `TransactWriteItemsCommand`, …) are named as their action.
 */
function actionOf(command: object): string {
  const name = command.constructor.name.replace(/Command$/, '');
  const documentNames: Record<string, string> = {
    Get: 'GetItem',
    Put: 'PutItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
    BatchGet: 'BatchGetItem',
    BatchWrite: 'BatchWriteItem',
  };
  return documentNames[name] ?? name;
}

/** The actions of every command sent since the last reset, through either client. */
function sentActions(): string[] {
  return [...new Set([...documents.calls(), ...raw.calls()].map((call) => actionOf(call.args[0] as object)))].sort();
}

const ORDERS_ROLE = 'arn:aws:iam::123456789012:role/orders-task';
const NOW = Date.now();
const item = (instanceId: string, overrides: Partial<Instance> = {}, owner = ORDERS_ROLE) => ({
  ...instanceItemKey('orders', instanceId),
  ...draftInstance({ service: 'orders', instanceId }, registerBody.parse({ address: '10.0.0.1', port: 8080, leaseSeconds: 30 }), owner, NOW - 5_000),
  revision: 7,
  ...overrides,
});
const expired = (instanceId: string) => item(instanceId, { leaseExpiresAtMs: NOW - 1_000 });
const refused = (current?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(current && { Item: marshall(current, { removeUndefinedValues: true }) }),
  });

function event(method: string, path: string, pathParameters: Record<string, string>, { body, query = '' }: { body?: unknown; query?: string } = {}) {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: query,
    headers: { 'content-type': 'application/json' },
    pathParameters,
    isBase64Encoded: false,
    ...(body !== undefined && { body: JSON.stringify(body) }),
    requestContext: {
      http: { method, path },
      authorizer: { iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/orders-task/task-1' } },
    },
  } as unknown as APIGatewayProxyEventV2;
}
/** The event as an admin's (the token routes are admins only): an admin token's authorizer context. */
const asAdmin = (e: APIGatewayProxyEventV2) =>
  ({
    ...e,
    requestContext: { ...e.requestContext, authorizer: { lambda: { principal: 'root', services: '', read: '', admin: true } } },
  }) as unknown as APIGatewayProxyEventV2;
const instance = (method: string, body?: unknown) => event(method, '/v1/services/orders/instances/a', { service: 'orders', instanceId: 'a' }, { body });

interface Scenario {
  readonly name: string;
  /** A main path: together they must need every action the function is granted. */
  readonly main: boolean;
  /** Answers of the mocked table. */
  readonly arrange: () => void;
  readonly event: APIGatewayProxyEventV2;
  readonly status: number;
}

const instancePage = (items: Record<string, unknown>[], more = false) => ({ Items: items, ...(more && { LastEvaluatedKey: instanceItemKey('orders', 'z') }) });
const isProtectionItem = (input: { Key?: Record<string, unknown> }) => String(input.Key?.sk).startsWith('PROTECTION#');

const scenarios: Record<string, Scenario[]> = {
  register: [
    {
      name: 'a new instance',
      main: true,
      arrange: () => documents.on(UpdateCommand).resolves({}),
      event: instance('PUT', { address: '10.0.0.1', port: 8080 }),
      status: 201,
    },
    {
      name: "someone else's instance",
      main: false,
      arrange: () => documents.on(UpdateCommand).rejects(refused(item('a', {}, 'arn:aws:iam::123456789012:role/other'))),
      event: instance('PUT', { address: '10.0.0.1', port: 8080 }),
      status: 403,
    },
  ],
  'patch-instance': [
    {
      name: 'a live instance',
      main: true,
      arrange: () => documents.on(UpdateCommand).resolves({ Attributes: item('a') }),
      event: instance('PATCH', { status: 'DRAINING' }),
      status: 200,
    },
    {
      name: 'a missing instance',
      main: false,
      arrange: () => documents.on(UpdateCommand).rejects(refused()),
      event: instance('PATCH', { status: 'DRAINING' }),
      status: 404,
    },
  ],
  heartbeat: [
    {
      name: 'a live lease',
      main: true,
      arrange: () => documents.on(UpdateCommand).resolves({ Attributes: item('a') }),
      event: event('POST', '/v1/services/orders/instances/a/heartbeat', { service: 'orders', instanceId: 'a' }),
      status: 200,
    },
    {
      name: 'an expired lease',
      main: false,
      arrange: () => documents.on(UpdateCommand).rejects(refused(expired('a'))),
      event: event('POST', '/v1/services/orders/instances/a/heartbeat', { service: 'orders', instanceId: 'a' }),
      status: 404,
    },
  ],
  'register-many': [
    {
      name: 'a new instance and a refused address (one counter update for the batch)',
      main: true,
      arrange: () => documents.on(UpdateCommand).resolves({}),
      event: event(
        'PUT',
        '/v1/services/orders/instances',
        { service: 'orders' },
        {
          body: {
            instances: [
              { instanceId: 'a', address: '10.0.0.1', port: 8080 },
              { instanceId: 'b', address: '169.254.169.254', port: 80 },
            ],
          },
        },
      ),
      status: 207,
    },
    {
      name: "someone else's instance",
      main: false,
      arrange: () => documents.on(UpdateCommand).rejects(refused(item('a', {}, 'arn:aws:iam::123456789012:role/other'))),
      event: event(
        'PUT',
        '/v1/services/orders/instances',
        { service: 'orders' },
        { body: { instances: [{ instanceId: 'a', address: '10.0.0.1', port: 8080 }] } },
      ),
      status: 207,
    },
  ],
  'heartbeat-many': [
    {
      name: 'a live lease and an expired one',
      main: true,
      arrange: () =>
        documents.on(UpdateCommand).callsFake((input) => {
          if (input.Key.sk === instanceItemKey('orders', 'b').sk) throw refused(expired('b'));
          return { Attributes: item('a') };
        }),
      event: event('POST', '/v1/services/orders/heartbeats', { service: 'orders' }, { body: { instanceIds: ['a', 'b'] } }),
      status: 207,
    },
  ],
  deregister: [
    {
      name: 'a live instance',
      main: true,
      arrange: () => {
        documents.on(DeleteCommand).resolves({ Attributes: item('a') });
        documents.on(UpdateCommand).resolves({});
      },
      event: instance('DELETE'),
      status: 204,
    },
    // The caller is stamped first (UpdateItem, for the change history): someone else's instance is refused there.
    {
      name: "someone else's instance",
      main: false,
      arrange: () => documents.on(UpdateCommand).rejects(refused(item('a', {}, 'arn:aws:iam::123456789012:role/other'))),
      event: instance('DELETE'),
      status: 403,
    },
  ],
  'get-instance': [
    { name: 'a live instance', main: true, arrange: () => documents.on(GetCommand).resolves({ Item: item('a') }), event: instance('GET'), status: 200 },
    {
      name: 'a just-expired instance (provisional protection check)',
      main: true,
      arrange: () => {
        documents.on(GetCommand).callsFake((input) => (isProtectionItem(input) ? {} : { Item: expired('a') }));
        documents.on(QueryCommand).resolves(instancePage([expired('a'), ...Array.from({ length: 9 }, (_, i) => item(`live-${i}`))]));
      },
      event: instance('GET'),
      status: 404,
    },
    { name: 'a missing instance', main: false, arrange: () => documents.on(GetCommand).resolves({}), event: instance('GET'), status: 404 },
  ],
  discover: [
    {
      name: 'a full page of live instances',
      main: true,
      arrange: () =>
        documents.on(QueryCommand).resolves(
          instancePage(
            Array.from({ length: 25 }, (_, i) => item(`i-${i}`)),
            true,
          ),
        ),
      event: event('GET', '/v1/services/orders/instances', { service: 'orders' }, { query: 'limit=25' }),
      status: 200,
    },
    {
      name: 'an empty page (the guard is consulted)',
      main: true,
      arrange: () => {
        documents.on(QueryCommand).resolves(instancePage([]));
        documents.on(GetCommand).resolves({});
      },
      event: event('GET', '/v1/services/orders/instances', { service: 'orders' }),
      status: 200,
    },
    {
      name: 'a page holding an expired lease',
      main: false,
      arrange: () => {
        documents.on(QueryCommand).resolves(instancePage([item('a'), expired('b')]));
        documents.on(GetCommand).resolves({});
      },
      event: event('GET', '/v1/services/orders/instances', { service: 'orders' }),
      status: 200,
    },
  ],
  'history-read': [
    {
      name: 'a page of history',
      main: true,
      arrange: () => documents.on(QueryCommand).resolves({ Items: [] }),
      event: event('GET', '/v1/services/orders/history', { service: 'orders' }, { query: 'limit=10&since=1h' }),
      status: 200,
    },
  ],
  'list-services': [
    {
      name: 'a page of services',
      main: true,
      arrange: () => documents.on(QueryCommand).resolves({ Items: [{ service: 'orders', total: 2, healthy: 1 }] }),
      event: event('GET', '/v1/services', {}),
      status: 200,
    },
  ],
  'sd-prometheus': [
    {
      name: 'every readable service (the service list, then its instance pages)',
      main: true,
      arrange: () =>
        documents
          .on(QueryCommand)
          .callsFake((input) => (input.IndexName ? { Items: [{ service: 'orders', total: 2, healthy: 2 }] } : instancePage([item('a'), item('b')]))),
      event: event('GET', '/v1/sd/prometheus', {}),
      status: 200,
    },
    {
      name: 'a named service with no instance (the guard is consulted)',
      main: true,
      arrange: () => {
        documents.on(QueryCommand).resolves(instancePage([]));
        documents.on(GetCommand).resolves({});
      },
      event: event('GET', '/v1/sd/prometheus', {}, { query: 'service=orders' }),
      status: 200,
    },
  ],
  eureka: [
    {
      name: 'a Eureka registration',
      main: true,
      // The operator's status override is read first (GetItem of the instance), then the registering write.
      arrange: () => {
        documents.on(GetCommand).resolves({});
        documents.on(UpdateCommand).resolves({});
      },
      event: event(
        'POST',
        '/eureka/v2/apps/{app}',
        { app: 'ORDERS' },
        {
          body: {
            instance: { app: 'ORDERS', hostName: '10.0.0.1', ipAddr: '10.0.0.1', port: { $: 8080, '@enabled': 'true' }, dataCenterInfo: { name: 'MyOwn' } },
          },
        },
      ),
      status: 204,
    },
    {
      name: 'a Eureka deregistration',
      main: true,
      arrange: () => {
        documents.on(DeleteCommand).resolves({ Attributes: item('a') });
        documents.on(UpdateCommand).resolves({});
      },
      event: event('DELETE', '/eureka/v2/apps/{app}/{instanceId}', { app: 'ORDERS', instanceId: 'a' }),
      status: 200,
    },
    {
      name: 'the full registry (the service list, then its instance pages)',
      main: true,
      arrange: () =>
        documents
          .on(QueryCommand)
          .callsFake((input) => (input.IndexName ? { Items: [{ service: 'orders', total: 2, healthy: 2 }] } : instancePage([item('a'), item('b')]))),
      event: event('GET', '/eureka/v2/apps', {}),
      status: 200,
    },
    {
      name: 'one instance',
      main: true,
      arrange: () => documents.on(GetCommand).resolves({ Item: item('a') }),
      event: event('GET', '/eureka/v2/apps/{app}/{instanceId}', { app: 'ORDERS', instanceId: 'a' }),
      status: 200,
    },
    {
      name: "someone else's instance (heartbeat)",
      main: false,
      arrange: () => documents.on(UpdateCommand).rejects(refused(item('a', {}, 'arn:aws:iam::123456789012:role/other'))),
      event: event('PUT', '/eureka/v2/apps/{app}/{instanceId}', { app: 'ORDERS', instanceId: 'a' }),
      status: 403,
    },
  ],
  tokens: [
    {
      name: 'creating a token',
      main: true,
      arrange: () => documents.on(PutCommand).resolves({}),
      event: asAdmin(event('POST', '/v1/tokens', {}, { body: { principal: 'prometheus', read: ['*'] } })),
      status: 201,
    },
    {
      name: 'listing tokens',
      main: true,
      arrange: () => documents.on(QueryCommand).resolves({ Items: [] }),
      event: asAdmin(event('GET', '/v1/tokens', {})),
      status: 200,
    },
    {
      name: 'revoking a token',
      main: true,
      arrange: () => documents.on(DeleteCommand).resolves({ Attributes: { tokenId: '0123456789abcdef' } }),
      event: asAdmin(event('DELETE', '/v1/tokens/{tokenId}', { tokenId: '0123456789abcdef' })),
      status: 204,
    },
  ],
};

/** Actions recorded per handler: every scenario's, and the main paths' union. */
const recorded = new Map<string, { all: Set<string>; main: Set<string> }>();

describe.each(Object.keys(scenarios))('the %s function', (handler) => {
  beforeEach(() => {
    documents.reset();
    raw.reset();
  });

  it.each(scenarios[handler]!.map((s) => [s.name, s] as const))('is granted every action it sends for %s', async (_name, scenario) => {
    // GIVEN the table's answers
    scenario.arrange();
    // WHEN the handler runs
    const response = await handlers[handler]!(scenario.event, lambdaContext(handler, 10_000));
    // THEN it answered as the path should (so the path really ran) with only granted actions
    expect(response.statusCode).toBe(scenario.status);
    const sent = sentActions();
    expect(sent.length).toBeGreaterThan(0);
    expect(grantedActions(handler)).toEqual(expect.arrayContaining(sent));
    const entry = recorded.get(handler) ?? { all: new Set(), main: new Set() };
    for (const action of sent) {
      entry.all.add(action);
      if (scenario.main) entry.main.add(action);
    }
    recorded.set(handler, entry);
  });

  it('is granted nothing its main paths do not send', () => {
    expect(grantedActions(handler)).toEqual([...recorded.get(handler)!.main].sort());
  });
});

describe("the prober's settings on the read functions", () => {
  it("makes discover read the guard's state item of the service's shard of 3 (REGISTRY_PROBE_SHARDS from the template)", async () => {
    documents.reset();
    documents.on(QueryCommand).resolves(instancePage([]));
    documents.on(GetCommand).resolves({});
    await handlers.discover!(event('GET', '/v1/services/orders/instances', { service: 'orders' }), lambdaContext('discover', 10_000));
    const keys = documents.commandCalls(GetCommand).map((call) => call.args[0].input.Key);
    expect(shardOf('orders', 3)).not.toBe(0); // so the default of 1 shard would read another item
    expect(keys).toEqual([protectionItemKey(shardOf('orders', 3))]);
  });
});

describe('functions without table access', () => {
  it.each(routes.filter((r) => r.table === 'none').map((r) => r.handler))('grants %s no DynamoDB action', (handler) => {
    expect(grantedActions(handler)).toEqual([]);
  });

  it('covers every handler of a route that uses the table', () => {
    expect([...new Set(routes.filter((r) => r.table !== 'none').map((r) => r.handler))].sort()).toEqual(Object.keys(scenarios).sort());
  });
});
