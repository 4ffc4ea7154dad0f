import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { openApiDocument } from '../../../lambdas/http/openapi.js';
import { routes } from '../../../lambdas/routes.js';

type Json = Record<string, any>;

const doc = openApiDocument() as Json;
const schemas = doc.components.schemas as Json;
const operation = (path: string, method: string) => doc.paths[path][method.toLowerCase()] as Json;
const param = (op: Json, where: string, name: string) => (op.parameters as Json[]).find((p) => p.in === where && p.name === name) as Json;
const refsOf = (schema: Json): string[] => (schema.$ref ? [schema.$ref] : (schema.anyOf ?? schema.oneOf ?? []).map((s: Json) => s.$ref));

async function lint(document: object): Promise<string[]> {
  const config = await createConfig({
    extends: ['recommended'],
    rules: {
      // The project carries no license (package.json is private and names none); naming one in the API document
      // is not this document's decision, so the rule that asks for it is off rather than satisfied with a guess.
      'info-license': 'off',
    },
  });
  const problems: NormalizedProblem[] = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
  return problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`);
}

describe('OpenAPI document', () => {
  it("passes Redocly's recommended rules with no error and no warning", async () => {
    expect(await lint(doc)).toEqual([]);
  });

  it('is linted for real: a document without servers fails', async () => {
    const { servers: _servers, ...withoutServers } = doc;
    expect(await lint(withoutServers)).toEqual([expect.stringMatching(/^error no-empty-servers/)]);
  });

  it('lists the local runtime and a templated execute-api URL as servers', () => {
    expect(doc.servers).toEqual([
      expect.objectContaining({ url: 'http://127.0.0.1:4000' }),
      expect.objectContaining({
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        variables: { apiId: expect.objectContaining({ default: expect.any(String) }), region: expect.objectContaining({ default: 'us-east-1' }) },
      }),
    ]);
  });

  it('documents the SSE event feed as served by the local runtime only, outside the route table', () => {
    const events = operation('/v1/events', 'GET');
    expect(routes.some((r) => r.path === '/v1/events')).toBe(false);
    expect(events.servers).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:4000' })]);
    expect(events['x-local-runtime-only']).toBe(true);
    expect(events.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(events.responses['200'].content)).toEqual(['text/event-stream']);
    expect(param(events, 'query', 'service')).toMatchObject({ schema: { type: 'array' } });
    expect(param(events, 'query', 'service').required).toBeFalsy();
    expect(param(events, 'header', 'Last-Event-ID')).toMatchObject({ schema: { type: 'string', pattern: '^\\d+$' } });
    expect(events.responses).toHaveProperty('401');
  });

  it('describes meta.<key> discovery filters as a form-exploded object whose keys start with meta.', () => {
    const meta = param(operation('/v1/services/{service}/instances', 'GET'), 'query', 'meta');
    expect(meta).toMatchObject({ style: 'form', explode: true, schema: { type: 'object', additionalProperties: { type: 'string' } } });
    expect(meta.required).toBeFalsy();
    const keys = new RegExp(meta.schema.propertyNames.pattern);
    expect(keys.test('meta.version')).toBe(true);
    expect(keys.test('meta.')).toBe(false);
    expect(keys.test('zone')).toBe(false);
  });

  it('documents If-None-Match, the ETag header and the 304 on discovery', () => {
    const discover = operation('/v1/services/{service}/instances', 'GET');
    expect(param(discover, 'header', 'If-None-Match')).toMatchObject({ schema: { type: 'string' } });
    for (const status of ['200', '304']) {
      expect(discover.responses[status].headers).toMatchObject({ ETag: { required: true, schema: { type: 'string' } } });
    }
    expect(discover.responses['304'].content).toBeUndefined();
  });

  it('marks every request body required', () => {
    const withBody = routes.filter((r) => r.request?.body ?? r.operation.requestBody);
    expect(withBody.map((r) => r.id).sort()).toEqual([
      'CreateToken',
      'EurekaRegister',
      'EurekaV2Register',
      'HeartbeatInstances',
      'PatchInstance',
      'RegisterInstance',
      'RegisterInstances',
    ]);
    for (const route of withBody) expect(operation(route.path, route.method).requestBody.required).toBe(true);
  });

  it('documents 401 and 403 with the error schemas on every route', () => {
    for (const route of routes) {
      const { responses } = operation(route.path, route.method);
      expect([route.id, refsOf(responses['401'].content['application/json'].schema)]).toEqual([route.id, ['#/components/schemas/Error']]);
      expect([route.id, refsOf(responses['403'].content['application/json'].schema)]).toEqual([
        route.id,
        ['#/components/schemas/Error', '#/components/schemas/GatewayError'],
      ]);
    }
  });

  it('documents 400, 404 and 409 where a route can answer them', () => {
    const statuses = (id: string) => {
      const route = routes.find((r) => r.id === id)!;
      return Object.keys(operation(route.path, route.method).responses).filter((s) => ['400', '404', '409'].includes(s));
    };
    expect(statuses('RegisterInstance')).toEqual(['400']);
    expect(statuses('GetInstance').sort()).toEqual(['400', '404']);
    expect(statuses('PatchInstance').sort()).toEqual(['400', '404']);
    expect(statuses('DeregisterInstance').sort()).toEqual(['400', '404']);
    expect(statuses('Heartbeat').sort()).toEqual(['400', '404', '409']);
    expect(statuses('DiscoverInstances')).toEqual(['400']);
    expect(statuses('ListServices')).toEqual(['400']);
    expect(statuses('Health')).toEqual([]);
  });

  it('applies SigV4 and bearer auth per route', () => {
    expect(doc.components.securitySchemes.sigv4).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of routes) {
      const expected = route.auth === 'token' ? [{ bearer: [] }] : [{ sigv4: [] }, { bearer: [] }];
      expect([route.id, operation(route.path, route.method).security]).toEqual([route.id, expected]);
    }
    // The connectors are the token routes: clients that cannot sign SigV4 (Prometheus, Eureka clients).
    expect(routes.filter((r) => r.auth === 'token').map((r) => r.id)).toEqual(
      expect.arrayContaining(['PrometheusServiceDiscovery', 'EurekaV2Register', 'EurekaRegister', 'EurekaV2Apps', 'EurekaApps']),
    );
    expect(routes.filter((r) => r.auth === 'token').every((r) => r.id === 'PrometheusServiceDiscovery' || r.id.startsWith('Eureka'))).toBe(true);
  });
});

describe('OpenAPI request and response shapes', () => {
  /**
   * Whether openapi-typescript (v7, default options) types a property as optional: not in `required`, and — with
   * its `defaultNonNullable` on by default — no `default` on the property, wherever the schema sits in components.
   */
  const optionalForOpenapiTypescript = (schema: Json, key: string) => !schema.required?.includes(key) && !('default' in schema.properties[key]);
  const optionalKeys = (schema: Json) => Object.keys(schema.properties).filter((key) => optionalForOpenapiTypescript(schema, key));

  it('shows openapi-typescript consumers only address and port as required in a registration', () => {
    const register = schemas.RegisterInstance;
    expect(register.required).toEqual(['address', 'port']);
    expect(Object.keys(register.properties).filter((key) => !optionalForOpenapiTypescript(register, key))).toEqual(['address', 'port']);
    expect(optionalKeys(register)).toEqual(expect.arrayContaining(['protocol', 'weight', 'tags', 'metadata', 'healthCheck']));
  });

  it('states the defaults of request fields in their descriptions', () => {
    expect(schemas.RegisterInstance.properties.weight.description).toMatch(/Default: `100`/);
    expect(schemas.RegisterInstance.properties.protocol.description).toMatch(/Default: `"http"`/);
    expect(schemas.RegisterInstance.properties.metadata.description).toMatch(/^String map.*\. Default: `\{\}`\.$/);
    expect(schemas.HealthCheck.required).toEqual(['type']);
    expect(optionalKeys(schemas.HealthCheck)).toEqual(expect.arrayContaining(['intervalSeconds', 'deregisterCriticalAfterSeconds']));
    expect(schemas.HealthCheck.properties.intervalSeconds.description).toMatch(/Default: `10`/);
  });

  it('keeps query parameter defaults, which openapi-typescript leaves optional', () => {
    expect(param(operation('/v1/services/{service}/instances', 'GET'), 'query', 'limit').schema.default).toBe(100);
  });

  it('describes responses by their output shape: defaulted fields are always present', () => {
    expect(schemas.Instance.required).toEqual(expect.arrayContaining(['protocol', 'weight', 'tags', 'metadata']));
    const get = operation('/v1/services/{service}/instances/{instanceId}', 'GET');
    expect(get.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/Instance');
  });
});
