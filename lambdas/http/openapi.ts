/** Generates the OpenAPI 3.1 document from the route table and the zod schemas that validate requests. */
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { routes } from '../routes.js';

/**
 * @example
 * const doc = openApiDocument();
 * doc.paths['/v1/services'].get.operationId; // => 'ListServices'
 */
export function openApiDocument() {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {}) as Record<string, unknown>;
    item[route.method.toLowerCase()] = { operationId: route.id, security: [{ sigv4: [] }, { bearer: [] }], ...route.operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Service registry', version: '1.0.0', description: 'Register, renew and discover service instances.' },
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS SigV4 (execute-api), IAM auth in AWS' },
        bearer: { type: 'http', scheme: 'bearer', description: 'Token from REGISTRY_AUTH_FILE (local runtime)' },
      },
    },
    paths,
  });
}
