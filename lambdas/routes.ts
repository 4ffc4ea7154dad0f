/**
 * The one route table. The local runtime serves it (`local/api-gateway.ts`), the CDK construct creates an HTTP API
 * route and function per entry (`packages/cdk`), the OpenAPI document is generated from it (`http/openapi.ts`),
 * and each function parses its input with the schemas its entry names (`http/route.ts`, `httpRoute(route, fn)`):
 * a request schema is declared once, here, for validation and documentation alike.
 * `handler` names the module in `lambdas/handlers/` that exports `handler` (its factory is in `lambdas/functions/`).
 */
import type { ZodOpenApiMediaTypeObject, ZodOpenApiOperationObject } from 'zod-openapi';
import * as z from 'zod';
import { createdToken, createTokenBody, historyPage, historyQuery, tokenList, tokenPath, BULK_MAX_ITEMS, MAX_BODY_BYTES } from '@service-registry/contracts';
import {
  discoveryQuery,
  errorBody,
  heartbeatInstancesBody,
  heartbeatInstancesResults,
  heartbeatResult,
  instanceList,
  instancePath,
  instanceRecord,
  listServicesQuery,
  patchBody,
  registerBody,
  registerInstancesBody,
  registerInstancesResults,
  serviceList,
  servicePath,
} from '@service-registry/contracts';
import { prometheusSdQuery, targetGroups } from './connectors/prometheus.js';
import { EUREKA_OPERATIONS, EUREKA_PREFIXES, eurekaRouteId } from './connectors/eureka-routes.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/**
 * What a route reads from the request, each a zod schema: `path` parameters, `query` (keys whose schema is an array
 * may repeat: `tag=a&tag=b`), the JSON `body`. `queryPrefixes` names free query keys left out of `query` (discovery's
 * `meta.<key>`), which the function reads from the raw pairs. OpenAPI's `requestParams`/`requestBody` are made from it.
 */
export interface RouteRequest {
  readonly path?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly queryPrefixes?: readonly string[];
  /** Largest JSON body accepted, in bytes (a 400 naming `body` beyond it). @default 16 KB (`MAX_BODY_BYTES`) */
  readonly maxBodyBytes?: number;
}

export interface RouteDefinition<R extends RouteRequest = RouteRequest> {
  /** Stable id: names the CDK function and the OpenAPI operation. PascalCase, never renamed casually. */
  readonly id: string;
  readonly method: HttpMethod;
  /** API Gateway path template, `{param}` for path parameters. */
  readonly path: string;
  /** Module under `lambdas/handlers/` (without extension). */
  readonly handler: string;
  /** What the route's function may do with the table: least privilege per function, and register vs discover grants. */
  readonly table: 'write' | 'read' | 'none';
  /**
   * How AWS authenticates the route: `iam` (SigV4, the default) or `token` (bearer tokens through the registry's
   * Lambda authorizer, for clients that cannot sign: Prometheus, Eureka clients). The local runtime accepts bearer
   * tokens on every route.
   */
  readonly auth?: 'iam' | 'token';
  /** The request's schemas (see {@link RouteRequest}); none for a route that reads nothing. */
  readonly request?: R;
  /** The OpenAPI operation, without what `request` already says (parameters and body are added from it). */
  readonly operation: ZodOpenApiOperationObject;
}

/** Keeps a route's schema types, so `httpRoute(route, fn)` hands `fn` typed input. */
function defineRoute<const R extends RouteRequest>(route: RouteDefinition<R>): RouteDefinition<R> {
  return route;
}

const INSTANCE = '/v1/services/{service}/instances/{instanceId}';

const json = (schema: NonNullable<ZodOpenApiMediaTypeObject['schema']>) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const err = (description: string) => ({ description, content: json(errorBody) });

/**
 * The body API Gateway itself answers with when it refuses a request before any function runs (IAM refusals,
 * throttling): `{"message":"Forbidden"}`, not the registry's `Error` shape. Documented, never produced here.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 */
const gatewayError = z
  .object({ message: z.string() })
  .meta({ id: 'GatewayError', description: 'API Gateway\'s own refusal (AWS only), e.g. `{"message":"Forbidden"}`' });

/**
 * Answers every route can give. 401 is the local runtime's bearer authorizer (in AWS an unsigned request is a 403
 * from API Gateway). 403 comes from the registry (ownership, write or read scope: `Error`) or, in AWS, from API
 * Gateway's IAM check (the caller has no `execute-api:Invoke` on the route ARN: `GatewayError`). 429 is the stage
 * throttle in AWS (the local runtime does not throttle).
 */
const authErrors = (forbidden: string) => ({
  '401': err('Local runtime: missing or unknown bearer token (`WWW-Authenticate: Bearer`)'),
  '403': {
    description: `${forbidden}. In AWS, API Gateway also answers 403 (\`GatewayError\`) to unsigned requests and callers without \`execute-api:Invoke\` on the route`,
    content: json(z.union([errorBody, gatewayError])),
  },
  '429': { description: "AWS: over the stage's throttle; retry with backoff", content: json(gatewayError) },
});
const badInput = { '400': err('Bad input; `details` names each field') };
const writeErrors = { ...badInput, ...authErrors('The caller may not write this service, or the instance is owned by another principal') };
const readErrors = { ...badInput, ...authErrors('The caller may not read this service') };
const gone = (description = 'Gone: never registered, deregistered or the lease expired') => ({ '404': err(description) });

/**
 * `meta.<key>=<value>` discovery filters: free query keys, so no fixed parameter name can describe them. OpenAPI
 * 3.1 serialises an object parameter with `style: form, explode: true` as one `key=value` pair per property (the
 * parameter's own name does not appear on the wire), and JSON Schema 2020-12 `propertyNames` constrains those keys
 * to `meta.` + 1-128 characters (the grammar `metaFilters` enforces). `deepObject` would put them on the wire as
 * `meta[key]=value`, which the registry does not read.
 */
const metaFilters = z
  .record(z.string().regex(/^meta\..{1,128}$/), z.string())
  .optional()
  .meta({
    param: {
      name: 'meta',
      in: 'query',
      style: 'form',
      explode: true,
      description: 'Metadata filters, each `meta.<key>=<value>`; an instance matches when every one equals its metadata value',
      example: { 'meta.version': '2' },
    },
  });

const ifNoneMatch = z.object({
  'If-None-Match': z
    .string()
    .optional()
    .meta({ description: 'ETag of a page already held; a match (weak comparison, `*` matches any) answers 304', example: 'W/"3f2a9c"' }),
});

/** Discovery's validators: re-check cheaply with `If-None-Match`. */
const cacheHeaders = z.object({
  ETag: z.string().meta({ description: 'Weak ETag of this page (instances and cursor)', example: 'W/"3f2a9c"' }),
  'Cache-Control': z.literal('no-cache').meta({ description: 'Store, but revalidate before reuse' }),
});

/**
 * The registry's own routes by id (the connectors' Eureka routes are generated below); `httpRoute(ROUTES.X, fn)`.
 *
 * @example
 * ROUTES.RegisterInstance.path; // => '/v1/services/{service}/instances/{instanceId}'
 */
export const ROUTES = {
  RegisterInstance: defineRoute({
    id: 'RegisterInstance',
    method: 'PUT',
    path: INSTANCE,
    handler: 'register',
    table: 'write',
    request: { path: instancePath, body: registerBody },
    operation: {
      summary: 'Register or replace an instance (idempotent)',
      description: 'Replaces the whole instance; fields left out take their defaults. The caller becomes its owner.',
      responses: { '200': ok('Replaced', instanceRecord), '201': ok('Created', instanceRecord), ...writeErrors },
    },
  }),
  GetInstance: defineRoute({
    id: 'GetInstance',
    method: 'GET',
    path: INSTANCE,
    handler: 'get-instance',
    table: 'read',
    request: { path: instancePath },
    operation: {
      summary: 'Read one instance',
      responses: { '200': ok('The instance', instanceRecord), ...gone(), ...readErrors },
    },
  }),
  PatchInstance: defineRoute({
    id: 'PatchInstance',
    method: 'PATCH',
    path: INSTANCE,
    handler: 'patch-instance',
    table: 'write',
    request: { path: instancePath, body: patchBody },
    operation: {
      summary: 'Change status, weight, metadata or tags without re-registering',
      responses: { '200': ok('Changed', instanceRecord), ...gone(), ...writeErrors },
    },
  }),
  DeregisterInstance: defineRoute({
    id: 'DeregisterInstance',
    method: 'DELETE',
    path: INSTANCE,
    handler: 'deregister',
    table: 'write',
    request: { path: instancePath },
    operation: {
      summary: 'Deregister an instance',
      responses: { '204': { description: 'Deregistered' }, ...gone('Already gone (a repeated delete)'), ...writeErrors },
    },
  }),
  Heartbeat: defineRoute({
    id: 'Heartbeat',
    method: 'POST',
    path: `${INSTANCE}/heartbeat`,
    handler: 'heartbeat',
    table: 'write',
    request: { path: instancePath },
    operation: {
      summary: 'Renew the lease',
      responses: {
        '200': ok('Renewed', heartbeatResult),
        ...gone('Gone or lease expired: register again'),
        '409': err('Probe-driven instance: no lease'),
        ...writeErrors,
      },
    },
  }),
  RegisterInstances: defineRoute({
    id: 'RegisterInstances',
    method: 'PUT',
    path: '/v1/services/{service}/instances',
    handler: 'register-many',
    table: 'write',
    // As many bodies as the single route accepts, one per item.
    request: { path: servicePath, body: registerInstancesBody, maxBodyBytes: BULK_MAX_ITEMS * MAX_BODY_BYTES },
    operation: {
      summary: 'Register or replace up to 100 instances of a service (bulk)',
      description:
        'Each item is registered exactly as `PUT …/instances/{instanceId}` would register it (validation, address ' +
        'policy, ownership, one change event each) and answered in `results`, in the order given: one refused item ' +
        'does not stop the others. **200** when every item succeeded (each result says 201 created or 200 replaced), ' +
        '**207** when at least one did not: read each result. A problem with the request itself (not JSON, no items, ' +
        'more than 100, an `instanceId` missing, malformed or given twice, a caller that may not write the service) ' +
        'is a plain 400 or 403, and nothing is written. The body may be up to 100 × 16 KB (1.6 MB), as much per item as a ' +
        'single registration accepts.',
      responses: {
        '200': ok('Every item registered; one result per item', registerInstancesResults),
        '207': ok('Some items refused: each result has its own status and, when refused, its error', registerInstancesResults),
        ...writeErrors,
      },
    },
  }),
  HeartbeatInstances: defineRoute({
    id: 'HeartbeatInstances',
    method: 'POST',
    path: '/v1/services/{service}/heartbeats',
    handler: 'heartbeat-many',
    table: 'write',
    request: { path: servicePath, body: heartbeatInstancesBody },
    operation: {
      summary: 'Renew the leases of up to 100 instances of a service (bulk)',
      description:
        'Each id is renewed exactly as `POST …/instances/{instanceId}/heartbeat` would renew it (ownership and expiry ' +
        'checked per instance) and answered in `results`, in the order given. **200** when every lease was renewed, ' +
        '**207** when any was not: a 404 result means that instance is gone or its lease expired (register it again), ' +
        'a 409 that it is probe-driven. Ids missing, malformed, given twice or more than 100, or a caller that may not ' +
        'write the service: a plain 400 or 403, and nothing is renewed.',
      responses: {
        '200': ok('Every lease renewed; one result per id', heartbeatInstancesResults),
        '207': ok('Some leases not renewed: each result has its own status and, when refused, its error', heartbeatInstancesResults),
        ...writeErrors,
      },
    },
  }),
  DiscoverInstances: defineRoute({
    id: 'DiscoverInstances',
    method: 'GET',
    path: '/v1/services/{service}/instances',
    handler: 'discover',
    table: 'read',
    request: { path: servicePath, query: discoveryQuery, queryPrefixes: ['meta.'] },
    operation: {
      summary: 'Discover instances of a service',
      description:
        'One page of instances matching every filter given. Each answer carries a weak `ETag`; send it back in ' +
        '`If-None-Match` to get 304 while nothing on the page changed.',
      requestParams: { header: ifNoneMatch },
      parameters: [metaFilters],
      responses: {
        '200': { ...ok('One page of instances', instanceList), headers: cacheHeaders },
        '304': { description: 'Not modified: the page still matches `If-None-Match`', headers: cacheHeaders },
        ...readErrors,
      },
    },
  }),
  ListServices: defineRoute({
    id: 'ListServices',
    method: 'GET',
    path: '/v1/services',
    handler: 'list-services',
    table: 'read',
    request: { query: listServicesQuery },
    operation: {
      summary: 'List services with total and healthy counts',
      responses: { '200': ok('One page of services', serviceList), ...readErrors },
    },
  }),
  Health: defineRoute({
    id: 'Health',
    method: 'GET',
    path: '/v1/health',
    handler: 'health',
    table: 'none',
    operation: {
      summary: "The registry's own liveness",
      responses: { '200': ok('Alive', z.object({ status: z.literal('ok') })), ...authErrors('Not granted this route') },
    },
  }),
  OpenApi: defineRoute({
    id: 'OpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    handler: 'openapi',
    table: 'none',
    operation: {
      summary: 'This document',
      responses: {
        '200': { description: 'OpenAPI 3.1 document', content: json({ type: 'object', description: 'An OpenAPI 3.1 document' }) },
        ...authErrors('Not granted this route'),
      },
    },
  }),
  // ── Connectors: Prometheus HTTP service discovery ──
  PrometheusServiceDiscovery: defineRoute({
    id: 'PrometheusServiceDiscovery',
    method: 'GET',
    path: '/v1/sd/prometheus',
    handler: 'sd-prometheus',
    table: 'read',
    auth: 'token',
    request: { query: prometheusSdQuery },
    operation: {
      summary: 'Prometheus HTTP service discovery (`http_sd_configs`)',
      description:
        'Every instance the query matches, across every page and every service, as Prometheus target groups: one ' +
        'group per instance, `[]` when none. Without `service=`, every service the caller may read. Labels: ' +
        '`__meta_registry_service`, `_instance_id`, `_zone`, `_tags` (`,a,b,`), `_metadata_<key>` (key sanitised to ' +
        '`[a-zA-Z0-9_]`), `_health`, `_status`, `_lease_expired`; metadata `prometheus.io/path` and ' +
        '`prometheus.io/scheme` set `__metrics_path__` and `__scheme__`. A list too large for one Lambda response is ' +
        'a 400, never a partial list.',
      responses: { '200': ok('Every matching instance as a target group', targetGroups), ...readErrors },
    },
  }),
  // ── Bearer tokens ──
  // Admins only (403 for anyone else). In AWS these routes use IAM like the core ones (`grantAdmin` covers them);
  // the tokens they manage are for the `auth: 'token'` routes, checked by the registry's Lambda authorizer.
  CreateToken: defineRoute({
    id: 'CreateToken',
    method: 'POST',
    path: '/v1/tokens',
    handler: 'tokens',
    table: 'write',
    request: { body: createTokenBody },
    operation: {
      summary: 'Create a bearer token (admins only)',
      description:
        'For clients that cannot sign SigV4 (Prometheus, Eureka clients). Only the SHA-256 of the secret is stored: ' +
        'the `secret` in this answer is shown once and cannot be read again.',
      responses: { '201': ok('Created; the secret is in this answer only', createdToken), ...badInput, ...authErrors('The caller is not an admin') },
    },
  }),
  ListTokens: defineRoute({
    id: 'ListTokens',
    method: 'GET',
    path: '/v1/tokens',
    handler: 'tokens',
    table: 'read',
    operation: {
      summary: 'List bearer tokens without their secrets (admins only)',
      responses: { '200': ok('Every token, oldest first', tokenList), ...authErrors('The caller is not an admin') },
    },
  }),
  RevokeToken: defineRoute({
    id: 'RevokeToken',
    method: 'DELETE',
    path: '/v1/tokens/{tokenId}',
    handler: 'tokens',
    table: 'write',
    request: { path: tokenPath },
    operation: {
      summary: 'Revoke a bearer token (admins only)',
      description: 'Locally the token stops working at once; in AWS within the authorizer cache time (60 s).',
      responses: {
        '204': { description: 'Revoked' },
        '404': err('No such token (never created, or already revoked)'),
        ...badInput,
        ...authErrors('The caller is not an admin'),
      },
    },
  }),
  // ── Change history ──
  ServiceHistory: defineRoute({
    id: 'ServiceHistory',
    method: 'GET',
    path: '/v1/services/{service}/history',
    handler: 'history-read',
    table: 'read',
    request: { path: servicePath, query: historyQuery },
    operation: {
      summary: "A service's change history, newest first",
      description:
        'Every change event of the service (or of one instance, with `instanceId`), with who made it: the caller ' +
        'for API writes, `registry:prober` for health marks, `registry:sweeper` for removals of expired leases and ' +
        'too-long-critical instances, `registry:ttl` for DynamoDB TTL deletions. Kept for ' +
        '`REGISTRY_HISTORY_RETENTION_DAYS` (default 30). Written from the table stream, so an entry appears shortly ' +
        'after its change. Readable by whoever may discover the service.',
      responses: { '200': ok('One page of entries, newest first; `cursor` when more may follow', historyPage), ...readErrors },
    },
  }),
} as const;

// ── Connectors: Eureka REST compatibility ──
// One function (`handler: 'eureka'`) serves every Eureka route, under both roots clients use; generated from the
// connector's one list of operations, which the handler also dispatches on (lambdas/connectors/eureka.ts).
const EUREKA_ROUTES: readonly RouteDefinition[] = EUREKA_PREFIXES.flatMap((prefix) =>
  EUREKA_OPERATIONS.map((op): RouteDefinition => {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const pathParam = (name: string) =>
      name === 'app'
        ? z.string().meta({ description: 'Eureka app name: the service name in any case (`ORDERS` is service `orders`)', example: 'ORDERS' })
        : name === 'instanceId'
          ? z.string().meta({ description: 'Instance id', example: 'orders-1' })
          : z.string().meta({ description: 'VIP address (`vip:<name>` tag, or the service name of an instance without one)', example: 'orders' });
    const document = (description: string) => ({
      description,
      content: {
        'application/json': { schema: { type: 'object' as const, description: `${description} (JSON when \`Accept\` asks for it)` } },
        'application/xml': { schema: { type: 'object' as const, description: `${description} (XML otherwise, Eureka's default)` } },
      },
    });
    const status = z.enum(['UP', 'DOWN', 'STARTING', 'OUT_OF_SERVICE', 'UNKNOWN']);
    const query = {
      Heartbeat: z.object({
        status: z.string().optional().meta({ description: "The Java client's own status: accepted, not used" }),
        lastDirtyTimestamp: z.string().optional().meta({ description: 'Accepted, not used' }),
      }),
      SetStatus: z.object({ value: status.meta({ description: 'The status to set' }) }),
      ClearStatus: z.object({ value: status.optional().meta({ description: 'The status after the override is removed. Default: UP' }) }),
    }[op.name];
    const done = { description: 'Done (empty body)' };
    const notFound = { '404': err('No such instance (or its lease expired): a heartbeat 404 tells the client to register again') };
    const byOperation: Record<string, ZodOpenApiOperationObject['responses']> = {
      Register: { '204': { description: 'Registered' } },
      Heartbeat: { '200': done, ...notFound, '409': err('Probe-driven instance (registered natively): no lease') },
      Deregister: { '200': done, ...notFound },
      SetStatus: { '200': done, ...notFound },
      ClearStatus: { '200': done, ...notFound },
      SetMetadata: { '200': done, ...notFound },
      Apps: { '200': document('Every application the caller may read') },
      Delta: { '200': document('Instances changed in the last 3 minutes, `apps__hashcode` of the full registry') },
      App: { '200': document('The application'), '404': err('No live instance of this app') },
      Instance: { '200': document('The instance'), '404': err('No such instance (or its lease expired)') },
      Vip: { '200': document('Applications with instances of this VIP') },
      SecureVip: { '200': document('Applications with instances of this secure VIP') },
    };
    const responses = byOperation[op.name];
    return {
      id: eurekaRouteId(prefix, op.name),
      method: op.method,
      path: `${prefix}${op.path}`,
      handler: 'eureka',
      table: op.table,
      auth: 'token',
      operation: {
        summary: `Eureka: ${op.summary}`,
        tags: ['Eureka'],
        requestParams: {
          ...(params.length > 0 && { path: z.object(Object.fromEntries(params.map((name) => [name, pathParam(name)]))) }),
          ...(query && { query }),
        },
        ...(op.name === 'SetMetadata' && {
          parameters: [
            z.record(z.string(), z.string()).meta({
              param: {
                name: 'metadata',
                in: 'query',
                style: 'form',
                explode: true,
                required: true,
                description: 'Metadata to add or change, each `key=value`',
                example: { build: '42' },
              },
            }),
          ],
        }),
        ...(op.name === 'Register' && {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { type: 'object', description: 'A Eureka `{"instance":{…}}` document' } },
              'application/xml': { schema: { type: 'object', description: 'A Eureka `<instance>…</instance>` document' } },
            },
          },
        }),
        responses: {
          ...responses,
          ...badInput,
          ...authErrors('The caller may not write (or read) this service, or the instance is owned by another principal'),
        },
      },
    };
  }),
);

/** Every route: the registry's own and the Eureka connector's. */
export const routes: readonly RouteDefinition[] = [...Object.values(ROUTES), ...EUREKA_ROUTES];
