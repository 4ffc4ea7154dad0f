/** The `patch-instance` function's entry: its factory (lambdas/functions/patch-instance.ts) over dependencies read from the environment once. */
import { patchInstanceHandler } from '../functions/patch-instance.js';
import { writerFromEnv } from '../wiring/fast-publish.js';

export const handler = patchInstanceHandler(writerFromEnv());
