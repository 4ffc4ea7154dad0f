/** `GET /v1/health`: the registry's own liveness. Touches nothing else, so it answers even when storage is slow. */
import { json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';

export const handler = httpRoute(async () => json(200, { status: 'ok' }));
