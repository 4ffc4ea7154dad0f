/** `POST /v1/services/{service}/instances/{instanceId}/heartbeat`: renew the lease; 404 means register again. */
import { instancePath } from '@service-registry/contracts';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(async (event) => {
  const key = parse(instancePath, event.pathParameters, 'path');
  const instance = await registry.heartbeat(callerFrom(event, config.adminPrincipals), key);
  return json(200, {
    service: instance.service,
    instanceId: instance.instanceId,
    leaseExpiresAt: new Date(instance.leaseExpiresAtMs ?? 0).toISOString(),
    revision: instance.revision,
  });
});
