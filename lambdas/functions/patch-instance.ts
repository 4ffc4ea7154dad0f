/** `PATCH /v1/services/{service}/instances/{instanceId}`: change status, weight, metadata or tags. */
import { toRecord } from '../domain/record.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

/** @example export const handler = patchInstanceHandler(fromEnv()); */
export const patchInstanceHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(ROUTES.PatchInstance, async ({ path, body, caller }) => json(200, toRecord(await deps.registry.patch(caller, path, body))), deps);
