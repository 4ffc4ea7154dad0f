/** The `discover` function's entry: its factory (lambdas/functions/discover.ts) over dependencies read from the environment once. */
import { discoverHandler } from '../functions/discover.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = discoverHandler(fromEnv());
