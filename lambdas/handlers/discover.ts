/**
 * `GET /v1/services/{service}/instances`: discovery. Carries a weak ETag of the result and answers a matching
 * `If-None-Match` with 304, so clients can re-check cheaply. 403 for a service the caller may not read.
 */
import { metaFilters } from '../domain/discovery.js';
import { toRecord } from '../domain/instance.js';
import { discoveryQuery, servicePath } from '@service-registry/contracts';
import { parse } from '../domain/validate.js';
import { json } from '../http/errors.js';
import { etagMatches } from '../http/etag.js';
import { queryObject, queryPairs } from '../http/query.js';
import { callerFrom } from '../http/caller.js';
import { httpRoute } from '../http/route.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(async (event) => {
  const { service } = parse(servicePath, event.pathParameters, 'path');
  const pairs = queryPairs(event);
  const query = parse(discoveryQuery, queryObject(pairs, ['tag'], ['meta.']), 'query');
  const result = await registry.discover(callerFrom(event, config.adminPrincipals), service, query, metaFilters(pairs));
  const headers = { etag: result.etag, 'cache-control': 'no-cache' };
  if (etagMatches(event.headers?.['if-none-match'], result.etag)) return { statusCode: 304, headers, body: '' };
  const { instances, cursor, protection } = result;
  return json(200, { service, instances: instances.map(toRecord), ...(cursor && { cursor }), ...(protection && { protection }) }, headers);
});
