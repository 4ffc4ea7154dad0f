/** The change-history writer's entry: its factory (lambdas/functions/history.ts) over dependencies read from the environment once. */
import { historyHandler } from '../functions/history.js';
import { historyFromEnv } from '../wiring/dependencies.js';

export const handler = historyHandler(historyFromEnv());
