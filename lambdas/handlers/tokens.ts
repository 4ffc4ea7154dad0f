/** The `tokens` function's entry: its factory (lambdas/functions/tokens.ts) over dependencies read from the environment once. */
import { tokensHandler } from '../functions/tokens.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = tokensHandler(fromEnv());
