/**
 * Every HTTP function's factory by its route-table `handler` name: what the local runtime serves, over the
 * dependencies it builds itself. In AWS each has its own entry module in `lambdas/handlers/` (one bundle each).
 */
import type { Dependencies } from '../wiring/dependencies.js';
import { deregisterHandler } from './deregister.js';
import { discoverHandler } from './discover.js';
import { eurekaHandler } from './eureka.js';
import { getInstanceHandler } from './get-instance.js';
import { healthHandler } from './health.js';
import { heartbeatHandler } from './heartbeat.js';
import { heartbeatManyHandler } from './heartbeat-many.js';
import { historyReadHandler } from './history-read.js';
import { listServicesHandler } from './list-services.js';
import { openApiHandler } from './openapi.js';
import { patchInstanceHandler } from './patch-instance.js';
import { registerHandler } from './register.js';
import { registerManyHandler } from './register-many.js';
import { prometheusSdHandler } from './sd-prometheus.js';
import { tokensHandler } from './tokens.js';

/**
 * @example
 * const handler = HTTP_FUNCTIONS[route.handler]!(createDependencies(platform));
 */
export const HTTP_FUNCTIONS: Readonly<Record<string, (deps: Dependencies) => ReturnType<typeof healthHandler>>> = {
  register: registerHandler,
  'register-many': registerManyHandler,
  'get-instance': getInstanceHandler,
  'patch-instance': patchInstanceHandler,
  deregister: deregisterHandler,
  heartbeat: heartbeatHandler,
  'heartbeat-many': heartbeatManyHandler,
  discover: discoverHandler,
  'list-services': listServicesHandler,
  health: healthHandler,
  openapi: openApiHandler,
  'history-read': historyReadHandler,
  'sd-prometheus': prometheusSdHandler,
  tokens: tokensHandler,
  eureka: eurekaHandler,
};
