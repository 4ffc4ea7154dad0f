/** The `deregister` function's entry: its factory (lambdas/functions/deregister.ts) over dependencies read from the environment once. */
import { deregisterHandler } from '../functions/deregister.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = deregisterHandler(fromEnv());
