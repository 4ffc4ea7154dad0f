/**
 * `GET /v1/services/{service}/instances`: discovery. Carries a weak ETag of the result and answers a matching
 * `If-None-Match` with 304, so clients can re-check cheaply. 403 for a service the caller may not read.
 */
import { discoveryBody } from '../domain/discovery.js';
import { jsonText } from '../http/errors.js';
import { etagMatches } from '../http/etag.js';
import { metaFilters } from '../http/query.js';
import { httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

/** @example export const handler = discoverHandler(fromEnv()); */
export const discoverHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.DiscoverInstances,
    async ({ path: { service }, query, pairs, caller, event }) => {
      const result = await deps.registry.discover(caller, service, query, metaFilters(pairs));
      const headers = { etag: result.etag, 'cache-control': 'no-cache' };
      if (etagMatches(event.headers?.['if-none-match'], result.etag)) return { statusCode: 304, headers, body: '' };
      const { instances, cursor, protection } = result;
      return jsonText(200, discoveryBody(service, instances, cursor, protection), headers);
    },
    deps,
  );
