/**
 * The one route table. The local runtime serves it (`local/api-gateway.ts`), the CDK stack creates an HTTP API
 * route and function per entry (`infra/`), and the OpenAPI document is generated from it (`http/openapi.ts`).
 * `handler` names the module in `lambdas/handlers/` that exports `handler`.
 */
import type { ZodOpenApiMediaTypeObject, ZodOpenApiOperationObject } from 'zod-openapi';
import * as z from 'zod';
import {
  discoveryQuery,
  errorBody,
  heartbeatResult,
  instanceList,
  instancePath,
  instanceRecord,
  listServicesQuery,
  patchBody,
  registerBody,
  serviceList,
  servicePath,
} from '@service-registry/contracts';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
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
  readonly operation: ZodOpenApiOperationObject;
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
  .meta({ id: 'GatewayError', description: "API Gateway's own refusal (AWS only), e.g. `{\"message\":\"Forbidden\"}`" });

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

export const routes: readonly RouteDefinition[] = [
  {
    id: 'RegisterInstance',
    method: 'PUT',
    path: INSTANCE,
    handler: 'register',
    table: 'write',
    operation: {
      summary: 'Register or replace an instance (idempotent)',
      description: 'Replaces the whole instance; fields left out take their defaults. The caller becomes its owner.',
      requestParams: { path: instancePath },
      requestBody: { required: true, content: json(registerBody) },
      responses: { '200': ok('Replaced', instanceRecord), '201': ok('Created', instanceRecord), ...writeErrors },
    },
  },
  {
    id: 'GetInstance',
    method: 'GET',
    path: INSTANCE,
    handler: 'get-instance',
    table: 'read',
    operation: {
      summary: 'Read one instance',
      requestParams: { path: instancePath },
      responses: { '200': ok('The instance', instanceRecord), ...gone(), ...readErrors },
    },
  },
  {
    id: 'PatchInstance',
    method: 'PATCH',
    path: INSTANCE,
    handler: 'patch-instance',
    table: 'write',
    operation: {
      summary: 'Change status, weight, metadata or tags without re-registering',
      requestParams: { path: instancePath },
      requestBody: { required: true, content: json(patchBody) },
      responses: { '200': ok('Changed', instanceRecord), ...gone(), ...writeErrors },
    },
  },
  {
    id: 'DeregisterInstance',
    method: 'DELETE',
    path: INSTANCE,
    handler: 'deregister',
    table: 'write',
    operation: {
      summary: 'Deregister an instance',
      requestParams: { path: instancePath },
      responses: { '204': { description: 'Deregistered' }, ...gone('Already gone (a repeated delete)'), ...writeErrors },
    },
  },
  {
    id: 'Heartbeat',
    method: 'POST',
    path: `${INSTANCE}/heartbeat`,
    handler: 'heartbeat',
    table: 'write',
    operation: {
      summary: 'Renew the lease',
      requestParams: { path: instancePath },
      responses: {
        '200': ok('Renewed', heartbeatResult),
        ...gone('Gone or lease expired: register again'),
        '409': err('Probe-driven instance: no lease'),
        ...writeErrors,
      },
    },
  },
  {
    id: 'DiscoverInstances',
    method: 'GET',
    path: '/v1/services/{service}/instances',
    handler: 'discover',
    table: 'read',
    operation: {
      summary: 'Discover instances of a service',
      description:
        'One page of instances matching every filter given. Each answer carries a weak `ETag`; send it back in ' +
        '`If-None-Match` to get 304 while nothing on the page changed.',
      requestParams: { path: servicePath, query: discoveryQuery, header: ifNoneMatch },
      parameters: [metaFilters],
      responses: {
        '200': { ...ok('One page of instances', instanceList), headers: cacheHeaders },
        '304': { description: 'Not modified: the page still matches `If-None-Match`', headers: cacheHeaders },
        ...readErrors,
      },
    },
  },
  {
    id: 'ListServices',
    method: 'GET',
    path: '/v1/services',
    handler: 'list-services',
    table: 'read',
    operation: {
      summary: 'List services with total and healthy counts',
      requestParams: { query: listServicesQuery },
      responses: { '200': ok('One page of services', serviceList), ...readErrors },
    },
  },
  {
    id: 'Health',
    method: 'GET',
    path: '/v1/health',
    handler: 'health',
    table: 'none',
    operation: {
      summary: "The registry's own liveness",
      responses: { '200': ok('Alive', z.object({ status: z.literal('ok') })), ...authErrors('Not granted this route') },
    },
  },
  {
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
  },
  // ── Connectors: Prometheus HTTP service discovery ──
  // ── Connectors: Eureka REST compatibility ──
  // ── Bearer tokens ──
];
