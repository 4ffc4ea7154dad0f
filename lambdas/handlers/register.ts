/** `PUT /v1/services/{service}/instances/{instanceId}`: register or replace. 201 when created, 200 when replaced. */
import { toRecord } from '../domain/instance.js';
import { instancePath, registerBody } from '@service-registry/contracts';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(
  async (event) => {
    const key = parse(instancePath, event.pathParameters, 'path');
    const body = parse(registerBody, event.parsedBody, 'body');
    const { instance, created } = await registry.register(callerFrom(event, config.adminPrincipals), key, body);
    return json(created ? 201 : 200, toRecord(instance));
  },
  { body: true },
);
