/**
 * `GET /v1/health`: the registry's own liveness. Touches nothing else, so it answers even when storage is slow. It
 * reads no input, so it skips the route table (and the schemas it carries): the smallest bundle of all.
 */
import { json } from '../http/errors.js';
import { type EdgeDependencies, httpFunction } from '../http/route.js';

/** @example export const handler = healthHandler(edgeFromEnv()); */
export const healthHandler = (deps: EdgeDependencies) =>
  httpFunction(
    deps,
    () => 'Health',
    async () => json(200, { status: 'ok' }),
  );
