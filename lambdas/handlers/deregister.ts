/** `DELETE /v1/services/{service}/instances/{instanceId}`: 204; a repeat is 404. */
import { instancePath } from '@service-registry/contracts';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(async (event) => {
  await registry.deregister(callerFrom(event, config.adminPrincipals), parse(instancePath, event.pathParameters, 'path'));
  return json(204, undefined);
});
