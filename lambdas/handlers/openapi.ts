/** The `openapi` function's entry: its factory (lambdas/functions/openapi.ts) over dependencies read from the environment once. */
import { openApiHandler } from '../functions/openapi.js';
import { edgeFromEnv } from '../wiring/observability.js';

export const handler = openApiHandler(edgeFromEnv());
