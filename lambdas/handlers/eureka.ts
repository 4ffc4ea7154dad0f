/** The `eureka` function's entry: its factory (lambdas/functions/eureka.ts) over dependencies read from the environment once. */
import { eurekaHandler } from '../functions/eureka.js';
import { fromEnv } from '../wiring/dependencies.js';

export const handler = eurekaHandler(fromEnv());
