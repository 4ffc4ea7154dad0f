/** `GET /v1/openapi.json`: the OpenAPI 3.1 document, generated from the route table and the request schemas. */
import { json } from '../http/errors.js';
import { openApiDocument } from '../http/openapi.js';
import { httpRoute } from '../http/route.js';

const document = openApiDocument();

export const handler = httpRoute(async () => json(200, document));
