/**
 * `GET /v1/sd/prometheus`: Prometheus HTTP service discovery (`http_sd_configs`). Every instance the query matches,
 * across every page and service, as target groups (`lambdas/connectors/prometheus.ts`); the registry's own discovery
 * decides what the caller may read and what is healthy.
 */
import { collectTargetGroups } from '../connectors/prometheus-targets.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

/** @example export const handler = prometheusSdHandler(fromEnv()); */
export const prometheusSdHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.PrometheusServiceDiscovery,
    async ({ query, caller, event }) => {
      const groups = await collectTargetGroups(deps.registry, caller, query);
      // Prometheus says how often it will ask; the answer does not depend on it (HTTP SD has no long polling), so it
      // is only logged, to tell a scraper that polls too often.
      deps.logger.debug('prometheus http sd', {
        principal: caller.principal,
        refreshIntervalSeconds: event.headers?.['x-prometheus-refresh-interval-seconds'],
        groups: groups.length,
      });
      return json(200, groups);
    },
    deps,
  );
