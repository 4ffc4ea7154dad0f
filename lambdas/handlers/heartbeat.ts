/** The `heartbeat` function's entry: its factory (lambdas/functions/heartbeat.ts) over dependencies read from the environment once. */
import { heartbeatHandler } from '../functions/heartbeat.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = heartbeatHandler(fromEnv());
