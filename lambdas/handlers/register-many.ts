/** The `register-many` function's entry: its factory (lambdas/functions/register-many.ts) over dependencies read from the environment once. */
import { registerManyHandler } from '../functions/register-many.js';
import { writerFromEnv } from '../wiring/fast-publish.js';

export const handler = registerManyHandler(writerFromEnv());
