/** The `patch-instance` function's entry: its factory (lambdas/functions/patch-instance.ts) over dependencies read from the environment once. */
import { patchInstanceHandler } from '../functions/patch-instance.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = patchInstanceHandler(fromEnv());
