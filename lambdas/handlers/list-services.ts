/** `GET /v1/services`: every service the caller may read, with total and healthy counts, from per-service counters (no scan). */
import { listServicesQuery, serviceName } from '@service-registry/contracts';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { queryObject, queryPairs } from '../http/query.js';
import { httpRoute } from '../http/route.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(async (event) => {
  const query = parse(listServicesQuery, queryObject(queryPairs(event)), 'query');
  const after = query.cursor === undefined ? undefined : parse(serviceName, query.cursor, 'query.cursor');
  return json(200, await registry.listServices(callerFrom(event, config.adminPrincipals), after, query.limit));
});
