/**
 * `GET /v1/services/{service}/instances/{instanceId}`: 200, or 404 when gone or expired (200 marked `leaseExpired`
 * while the lease guard is engaged); 403 for a service the caller may not read.
 */
import { toRecord } from '../domain/record.js';
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

/** @example export const handler = getInstanceHandler(fromEnv()); */
export const getInstanceHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(ROUTES.GetInstance, async ({ path, caller }) => json(200, toRecord(await deps.registry.get(caller, path))), deps);
