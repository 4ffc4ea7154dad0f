/** The prober's entry: its factory (lambdas/functions/prober.ts) over dependencies read from the environment once. */
import { proberHandler } from '../functions/prober.js';
import { proberFromEnv } from '../wiring/prober.js';

export const handler = proberHandler(proberFromEnv());
