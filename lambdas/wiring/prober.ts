/** The prober's dependencies in AWS: the platform plus the prober's own configuration, read once. */
import type { ProberDependencies } from '../functions/prober.js';
import { loadProberConfig } from './config.js';
import { platformFromEnv } from './platform.js';

/**
 * @example
 * export const handler = proberHandler(proberFromEnv());
 */
export function proberFromEnv(env: NodeJS.ProcessEnv = process.env): ProberDependencies {
  return { ...platformFromEnv(env), prober: loadProberConfig(env) };
}
