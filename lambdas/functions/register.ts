/** `PUT /v1/services/{service}/instances/{instanceId}`: register or replace. 201 when created, 200 when replaced. */
import { toRecord } from '../domain/record.js';
import type { Registry } from '../domain/registry.js';
import { json } from '../http/errors.js';
import { type EdgeDependencies, httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';

/** What the instance routes need: the edge's dependencies and the registry. */
export interface RegistryRouteDependencies extends EdgeDependencies {
  readonly registry: Registry;
}

/**
 * @example
 * export const handler = registerHandler(fromEnv());
 */
export const registerHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.RegisterInstance,
    async ({ path, body, caller }) => {
      const { instance, created } = await deps.registry.register(caller, path, body);
      return json(created ? 201 : 200, toRecord(instance));
    },
    deps,
  );
