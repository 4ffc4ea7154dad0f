/** `DELETE /v1/services/{service}/instances/{instanceId}`: 204; a repeat is 404. */
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

/** @example export const handler = deregisterHandler(fromEnv()); */
export const deregisterHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.DeregisterInstance,
    async ({ path, caller }) => {
      await deps.registry.deregister(caller, path);
      return json(204, undefined);
    },
    deps,
  );
