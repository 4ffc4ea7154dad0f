/**
 * Generates the OpenAPI 3.1 document from the route table and the zod schemas that validate requests, plus the one
 * path the route table does not hold: the local runtime's SSE event feed. zod-openapi renders request bodies and
 * parameters from a schema's input shape (fields with defaults optional) and responses from its output shape.
 */
import * as z from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathItemObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { DETAIL_TYPES, errorBody, serviceName } from '@service-registry/contracts';
import { type RouteDefinition, routes } from '../routes.js';

/** The local runtime's default address (`npm start`; `HOST` and `PORT` change it). */
export const LOCAL_SERVER = { url: 'http://127.0.0.1:4000', description: 'Local runtime (`npm start`), bearer tokens or open mode' };

/** The deployed HTTP API: its `$default` stage has no stage segment in the URL (the construct's `apiUrl`). */
const AWS_SERVER = {
  url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
  description: 'HTTP API in AWS, IAM auth (SigV4); the `ApiUrl` stack output',
  variables: {
    apiId: { default: 'abcdef1234', description: 'The HTTP API id (first label of `ApiUrl`)' },
    region: { default: 'us-east-1', description: 'The AWS Region the registry is deployed in' },
  },
};

/**
 * `GET /v1/events`, served by the local runtime itself (`local/runtime.ts`), not by a Lambda route: it is not in
 * the route table, because that table creates the API Gateway routes and IAM grants, and in AWS subscribers read
 * an SQS queue fed by an EventBridge rule instead. The operation-level `servers` says where it exists.
 */
const eventsPath: ZodOpenApiPathItemObject = {
  get: {
    operationId: 'SubscribeEvents',
    summary: 'Change events as Server-Sent Events (local runtime only)',
    description:
      'Served by the local runtime only; in AWS subscribers consume an SQS queue fed by an EventBridge rule. ' +
      'Each event is `id: <sequence>`, `event: <detail-type>` and `data: <the EventBridge envelope as JSON>` ' +
      `(schemas in \`contracts/events/\`); detail-types: ${DETAIL_TYPES.map((t) => `\`${t}\``).join(', ')}. ` +
      'Reconnect with `Last-Event-ID` to resume; when the events since then are no longer buffered, or the id was ' +
      'not issued by this feed (e.g. before a restart), the stream starts with `event: resync`: reload from discovery.',
    servers: [LOCAL_SERVER],
    security: [{ bearer: [] }],
    'x-local-runtime-only': true,
    requestParams: {
      query: z.object({
        service: z
          .array(serviceName)
          .optional()
          .meta({ description: 'Only events of these services (repeatable: `service=a&service=b`); none means every service the caller may read' }),
      }),
      header: z.object({
        'Last-Event-ID': z
          .string()
          .regex(/^\d+$/)
          .optional()
          .meta({ description: 'The `id` of the last event received: replay what followed it', example: '42' }),
      }),
    },
    responses: {
      '200': {
        description: 'An endless `text/event-stream` (`: keep-alive` comments every 15 s)',
        content: {
          'text/event-stream': {
            schema: { type: 'string' },
            example:
              'retry: 1000\n\nid: 7\nevent: Instance Registered\ndata: {"version":"0","detail-type":"Instance Registered","source":"service-registry","detail":{"service":"orders"}}\n\n',
          },
        },
      },
      '401': { description: 'Missing or unknown bearer token', content: { 'application/json': { schema: errorBody } } },
      '403': { description: 'A `service=` the caller may not read (refused before any event is sent)', content: { 'application/json': { schema: errorBody } } },
    },
  },
};

/**
 * Request bodies state the server's defaults in words, not with `default`: openapi-typescript (v7, whose
 * `defaultNonNullable` is on by default) types every property that carries a `default` as always present, even in
 * a component a request body refers to, so callers would be made to send `protocol`, `weight`, `tags` and
 * `metadata`. Responses are left alone (there such a field is always present, and `required` already says so);
 * so are parameters (openapi-typescript keeps those optional).
 */
// biome-ignore lint/suspicious/noExplicitAny: a generated JSON Schema walked by key; its shape is JSON Schema's, not a type of ours.
type JsonSchema = Record<string, any>;

function defaultsAsText(document: ReturnType<typeof createDocument>): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, JsonSchema>;
  const seen = new Set<object>();
  const visit = (schema: JsonSchema | undefined): void => {
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    if (typeof schema.$ref === 'string') visit(schemas[schema.$ref.replace('#/components/schemas/', '')]);
    for (const property of Object.values<JsonSchema>(schema.properties ?? {})) {
      if (property && 'default' in property) {
        const stated = `Default: \`${JSON.stringify(property.default)}\`.`;
        property.description = property.description ? `${String(property.description).replace(/\.?$/, '.')} ${stated}` : stated;
        delete property.default;
      }
      visit(property);
    }
    for (const key of ['items', 'additionalProperties']) visit(schema[key]);
    for (const key of ['anyOf', 'oneOf', 'allOf']) for (const member of schema[key] ?? []) visit(member);
  };
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item as JsonSchema)) {
      for (const media of Object.values<JsonSchema>(operation?.requestBody?.content ?? {})) visit(media.schema);
    }
  }
}

/** The route's operation with the parameters and body its `request` schemas declare (declared once, in routes.ts). */
function withRequest({ request, operation }: RouteDefinition): ZodOpenApiOperationObject {
  if (!request) return operation;
  const params = { ...(request.path && { path: request.path }), ...(request.query && { query: request.query }) };
  return {
    ...operation,
    ...((request.path || request.query) && { requestParams: { ...params, ...operation.requestParams } as ZodOpenApiOperationObject['requestParams'] }),
    ...(request.body && { requestBody: { required: true, content: { 'application/json': { schema: request.body } } } }),
  };
}

/**
 * @example
 * const doc = openApiDocument();
 * doc.paths['/v1/services'].get.operationId; // => 'ListServices'
 */
export function openApiDocument() {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {}) as Record<string, unknown>;
    // IAM (SigV4) in AWS, a bearer token locally (open local mode needs neither); `auth: 'token'` routes (the
    // connectors, for clients that cannot sign) take a bearer token in AWS as well, through the token authorizer.
    const security = route.auth === 'token' ? [{ bearer: [] }] : [{ sigv4: [] }, { bearer: [] }];
    item[route.method.toLowerCase()] = { operationId: route.id, security, ...withRequest(route) };
  }
  paths['/v1/events'] = eventsPath;
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Service registry',
      version: '1.0.0',
      description: 'Register, renew and discover service instances. Every error is `{"error":{"code","message","details?"}}`.',
    },
    servers: [LOCAL_SERVER, AWS_SERVER],
    components: {
      securitySchemes: {
        // OpenAPI has no SigV4 scheme type; API Gateway's own exports describe IAM auth this way.
        // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 for `execute-api` (IAM auth in AWS); IAM grants on route ARNs decide who may call what',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `REGISTRY_AUTH_FILE` or `service-registry tokens create` (local runtime; in AWS, the connector routes)',
        },
      },
    },
    paths,
  });
  defaultsAsText(document);
  return document;
}
