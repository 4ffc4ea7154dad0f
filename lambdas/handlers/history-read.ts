/** The `history-read` function's entry: its factory (lambdas/functions/history-read.ts) over dependencies read from the environment once. */
import { historyReadHandler } from '../functions/history-read.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = historyReadHandler(fromEnv());
