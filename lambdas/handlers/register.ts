/** The `register` function's entry: its factory (lambdas/functions/register.ts) over dependencies read from the environment once. */
import { registerHandler } from '../functions/register.js';
import { writerFromEnv } from '../wiring/fast-publish.js';

export const handler = registerHandler(writerFromEnv());
