/** The `health` function's entry: its factory (lambdas/functions/health.ts) over dependencies read from the environment once. */
import { healthHandler } from '../functions/health.js';
import { edgeFromEnv } from '../wiring/observability.js';

export const handler = healthHandler(edgeFromEnv());
