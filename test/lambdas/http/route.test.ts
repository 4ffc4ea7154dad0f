/**
 * The edge every HTTP function shares (`httpRoute`): input parsed with the route table's schemas, the Powertools
 * middlewares applied, errors answered by kind and counted. Driven in process through a factory, with recording
 * telemetry and a registry stub: no server needed.
 */
import { jest } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InstanceNotFoundError } from '../../../lambdas/domain/errors.js';
import type { Registry } from '../../../lambdas/domain/registry.js';
import type { Telemetry } from '../../../lambdas/domain/telemetry.js';
import { getInstanceHandler } from '../../../lambdas/functions/get-instance.js';
import { apiGatewayEvent } from '../../../local/api-gateway.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { ROUTES } from '../../../lambdas/routes.js';

const counted: Array<{ name: string; labels: unknown }> = [];
const telemetry: Telemetry = { count: (name, labels) => void counted.push({ name, labels }), observe: () => undefined, flush: () => undefined };
const logger = new Logger({ serviceName: 'test', logLevel: 'ERROR' });
const asked: unknown[] = [];
const registry = {
  get: async (_caller: unknown, key: { service: string; instanceId: string }) => {
    asked.push(key);
    throw new InstanceNotFoundError(key.service, key.instanceId);
  },
} as unknown as Registry;
const handler = getInstanceHandler({ registry, logger, telemetry, adminPrincipals: [] });

function request(pathParameters: Record<string, string>): APIGatewayProxyEventV2 {
  const rawPath = `/v1/services/${pathParameters.service}/instances/${pathParameters.instanceId}`;
  const caller = { principal: 'alice', services: ['*'], read: ['*'], admin: false };
  return apiGatewayEvent({ route: ROUTES.GetInstance, rawPath, rawQueryString: '', headers: {}, pathParameters, body: Buffer.alloc(0), caller });
}

beforeEach(() => {
  counted.length = 0;
  asked.length = 0;
});

it('hands the function its path parsed with the route entry’s schema', async () => {
  const res = await handler(request({ service: 'orders', instanceId: 'a-1' }), lambdaContext('GetInstance', 1000));
  expect(asked).toEqual([{ service: 'orders', instanceId: 'a-1' }]);
  expect(res.statusCode).toBe(404);
});

it('answers bad input with a 400 naming the field, before the domain is asked', async () => {
  const res = await handler(request({ service: 'Not A Service!', instanceId: 'a-1' }), lambdaContext('GetInstance', 1000));
  expect(res.statusCode).toBe(400);
  expect(JSON.parse(res.body!).error.details[0].field).toBe('path.service');
  expect(asked).toEqual([]);
});

it('counts each error answered by route id and kind', async () => {
  await handler(request({ service: 'orders', instanceId: 'gone' }), lambdaContext('GetInstance', 1000));
  await handler(request({ service: 'Bad!', instanceId: 'x' }), lambdaContext('GetInstance', 1000));
  expect(counted).toEqual([
    { name: 'HttpErrors', labels: { route: 'GetInstance', kind: 'not-found' } },
    { name: 'HttpErrors', labels: { route: 'GetInstance', kind: 'invalid' } },
  ]);
});

it('gives the logger the invocation’s Lambda context (injectLambdaContext)', async () => {
  const addContext = jest.spyOn(logger, 'addContext');
  const context = lambdaContext('GetInstance', 1000);
  await handler(request({ service: 'orders', instanceId: 'a-1' }), context);
  expect(addContext).toHaveBeenCalledWith(context);
  addContext.mockRestore();
});
