/**
 * `GET /v1/services/{service}/instances/{instanceId}`: 200, or 404 when gone or expired (200 marked `leaseExpired`
 * while the lease guard is engaged); 403 for a service the caller may not read.
 */
import { toRecord } from '../domain/instance.js';
import { instancePath } from '@service-registry/contracts';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(async (event) => {
  const instance = await registry.get(callerFrom(event, config.adminPrincipals), parse(instancePath, event.pathParameters, 'path'));
  return json(200, toRecord(instance));
});
