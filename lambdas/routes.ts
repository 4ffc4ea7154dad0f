/**
 * The one route table. The local runtime serves it (`local/api-gateway.ts`), the CDK stack creates an HTTP API
 * route and function per entry (`infra/`), and the OpenAPI document is generated from it (`http/openapi.ts`).
 * `handler` names the module in `lambdas/handlers/` that exports `handler`.
 */
import type { ZodOpenApiOperationObject } from 'zod-openapi';
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
} from './domain/schemas.js';

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
  readonly operation: ZodOpenApiOperationObject;
}

const INSTANCE = '/v1/services/{service}/instances/{instanceId}';

const err = (description: string) => ({ description, content: { 'application/json': { schema: errorBody } } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema } } });
const commonErrors = { '400': err('Bad input; names the field'), '401': err('Missing or unknown credentials') };
const writeErrors = { ...commonErrors, '403': err('Not the owner, or may not write this service') };

export const routes: readonly RouteDefinition[] = [
  {
    id: 'RegisterInstance',
    method: 'PUT',
    path: INSTANCE,
    handler: 'register',
    table: 'write',
    operation: {
      summary: 'Register or replace an instance (idempotent)',
      requestParams: { path: instancePath },
      requestBody: { content: { 'application/json': { schema: registerBody } } },
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
      responses: { '200': ok('The instance', instanceRecord), '404': err('Gone or lease expired'), ...commonErrors },
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
      requestBody: { content: { 'application/json': { schema: patchBody } } },
      responses: { '200': ok('Changed', instanceRecord), '404': err('Gone or lease expired'), ...writeErrors },
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
      responses: { '204': { description: 'Deregistered' }, '404': err('Already gone'), ...writeErrors },
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
        '404': err('Gone or lease expired: register again'),
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
      description: 'Also accepts `meta.<key>=<value>` filters. Honours If-None-Match with 304.',
      requestParams: { path: servicePath, query: discoveryQuery },
      responses: { '200': ok('One page of instances', instanceList), '304': { description: 'Not modified' }, ...commonErrors },
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
      responses: { '200': ok('One page of services', serviceList), ...commonErrors },
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
      responses: { '200': ok('Alive', z.object({ status: z.literal('ok') })) },
    },
  },
  {
    id: 'OpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    handler: 'openapi',
    table: 'none',
    operation: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document' } } },
  },
];
