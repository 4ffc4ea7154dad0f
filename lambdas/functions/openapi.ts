/** `GET /v1/openapi.json`: the OpenAPI 3.1 document, generated from the route table and the request schemas. */
import { json } from '../http/errors.js';
import { openApiDocument } from '../http/openapi.js';
import { type EdgeDependencies, httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';

/** @example export const handler = openApiHandler(fromEnv()); */
export function openApiHandler(deps: EdgeDependencies) {
  const document = openApiDocument();
  return httpRoute(ROUTES.OpenApi, async () => json(200, document), deps);
}
