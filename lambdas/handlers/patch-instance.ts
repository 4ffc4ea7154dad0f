/** `PATCH /v1/services/{service}/instances/{instanceId}`: change status, weight, metadata or tags. */
import { toRecord } from '../domain/instance.js';
import { instancePath, patchBody } from '@service-registry/contracts';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(
  async (event) => {
    const key = parse(instancePath, event.pathParameters, 'path');
    const changes = parse(patchBody, event.parsedBody, 'body');
    const instance = await registry.patch(callerFrom(event, config.adminPrincipals), key, changes);
    return json(200, toRecord(instance));
  },
  { body: true },
);
