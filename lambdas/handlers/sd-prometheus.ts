/** The `sd-prometheus` function's entry: its factory (lambdas/functions/sd-prometheus.ts) over dependencies read from the environment once. */
import { prometheusSdHandler } from '../functions/sd-prometheus.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = prometheusSdHandler(fromEnv());
