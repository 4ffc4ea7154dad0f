/** The `get-instance` function's entry: its factory (lambdas/functions/get-instance.ts) over dependencies read from the environment once. */
import { getInstanceHandler } from '../functions/get-instance.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = getInstanceHandler(fromEnv());
