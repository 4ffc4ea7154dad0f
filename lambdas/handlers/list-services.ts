/** The `list-services` function's entry: its factory (lambdas/functions/list-services.ts) over dependencies read from the environment once. */
import { listServicesHandler } from '../functions/list-services.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = listServicesHandler(fromEnv());
