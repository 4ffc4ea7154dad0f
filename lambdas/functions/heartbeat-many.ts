/**
 * `POST /v1/services/{service}/heartbeats`: renew the leases of up to 100 instances of one service in one request.
 * One result per id, in the order given; 200 when every lease was renewed, 207 (Multi-Status) when any was not (a
 * 404 there means: register that instance again). A problem with the request itself is a plain 400/403.
 */
import type { HeartbeatInstancesResult } from '@service-registry/contracts';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';
import { bulkStatus, itemFailure } from './register-many.js';

/** @example export const handler = heartbeatManyHandler(fromEnv()); */
export const heartbeatManyHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.HeartbeatInstances,
    async ({ path, body, caller }) => {
      const outcomes = await deps.registry.heartbeatMany(caller, path.service, body.instanceIds);
      const results = outcomes.map((outcome): HeartbeatInstancesResult => {
        const { instanceId } = outcome;
        if (!outcome.ok) return { instanceId, ...itemFailure(outcome.error, instanceId, ROUTES.HeartbeatInstances.id, deps) };
        const instance = outcome.value;
        return { instanceId, status: 200, leaseExpiresAt: new Date(instance.leaseExpiresAtMs ?? 0).toISOString(), revision: instance.revision };
      });
      return json(bulkStatus(results), { service: path.service, results });
    },
    deps,
  );
