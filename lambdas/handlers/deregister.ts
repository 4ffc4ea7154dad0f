/** The `deregister` function's entry: its factory (lambdas/functions/deregister.ts) over dependencies read from the environment once. */
import { deregisterHandler } from '../functions/deregister.js';
import { writerFromEnv } from '../wiring/fast-publish.js';

export const handler = deregisterHandler(writerFromEnv());
