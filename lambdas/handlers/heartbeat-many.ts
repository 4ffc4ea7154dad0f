/** The `heartbeat-many` function's entry: its factory (lambdas/functions/heartbeat-many.ts) over dependencies read from the environment once. */
import { heartbeatManyHandler } from '../functions/heartbeat-many.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = heartbeatManyHandler(fromEnv());
