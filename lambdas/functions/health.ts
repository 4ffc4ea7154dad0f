/** `GET /v1/health`: the registry's own liveness. Touches nothing else, so it answers even when storage is slow. */
import { json } from '../http/errors.js';
import { type EdgeDependencies, httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';

/** @example export const handler = healthHandler(fromEnv()); */
export const healthHandler = (deps: EdgeDependencies) => httpRoute(ROUTES.Health, async () => json(200, { status: 'ok' }), deps);
