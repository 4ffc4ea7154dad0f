/** `POST /v1/services/{service}/instances/{instanceId}/heartbeat`: renew the lease; 404 means register again. */
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

/** @example export const handler = heartbeatHandler(fromEnv()); */
export const heartbeatHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.Heartbeat,
    async ({ path, caller }) => {
      const instance = await deps.registry.heartbeat(caller, path);
      return json(200, {
        service: instance.service,
        instanceId: instance.instanceId,
        leaseExpiresAt: new Date(instance.leaseExpiresAtMs ?? 0).toISOString(),
        revision: instance.revision,
      });
    },
    deps,
  );
