/** The `register` function's entry: its factory (lambdas/functions/register.ts) over dependencies read from the environment once. */
import { registerHandler } from '../functions/register.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = registerHandler(fromEnv());
