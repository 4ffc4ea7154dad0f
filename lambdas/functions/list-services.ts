/** `GET /v1/services`: every service the caller may read, with total and healthy counts, from per-service counters (no scan). */
import { serviceName } from '@service-registry/contracts';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { parse } from '../http/validate.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

/** @example export const handler = listServicesHandler(fromEnv()); */
export const listServicesHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.ListServices,
    async ({ query, caller }) => {
      // The cursor is the last service name of the previous page.
      const after = query.cursor === undefined ? undefined : parse(serviceName, query.cursor, 'query.cursor');
      return json(200, await deps.registry.listServices(caller, after, query.limit));
    },
    deps,
  );
