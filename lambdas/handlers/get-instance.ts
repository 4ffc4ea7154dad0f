/** `GET /v1/services/{service}/instances/{instanceId}`: 200, or 404 when gone or expired. */
import { toRecord } from '../domain/instance.js';
import { instancePath } from '../domain/schemas.js';
import { parse } from '../domain/validate.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { registry } from '../shared/registry.js';

export const handler = httpRoute(async (event) => {
  const instance = await registry.get(parse(instancePath, event.pathParameters, 'path'));
  return json(200, toRecord(instance));
});
