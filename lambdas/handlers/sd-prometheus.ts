/**
 * `GET /v1/sd/prometheus`: Prometheus HTTP service discovery (`http_sd_configs`). Every instance the query matches,
 * across every page and service, as target groups (`lambdas/connectors/prometheus.ts`); the registry's own discovery
 * decides what the caller may read and what is healthy.
 */
import { prometheusSdQuery } from '../connectors/prometheus.js';
import { collectTargetGroups } from '../connectors/prometheus-targets.js';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { queryObject, queryPairs } from '../http/query.js';
import { httpRoute } from '../http/route.js';
import { logger } from '../shared/powertools.js';
import { config, registry } from '../shared/registry.js';

export const handler = httpRoute(async (event) => {
  const query = parse(prometheusSdQuery, queryObject(queryPairs(event), ['service', 'tag']), 'query');
  const caller = callerFrom(event, config.adminPrincipals);
  const groups = await collectTargetGroups(registry, caller, query);
  // Prometheus says how often it will ask; the answer does not depend on it (HTTP SD has no long polling), so it is
  // only logged, to tell a scraper that polls too often.
  logger.debug('prometheus http sd', { principal: caller.principal, refreshIntervalSeconds: event.headers?.['x-prometheus-refresh-interval-seconds'], groups: groups.length });
  return json(200, groups);
});
