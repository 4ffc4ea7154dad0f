/**
 * Where a function logs and reports in AWS: the Powertools logger and metrics, configured by the `POWERTOOLS_*`
 * variables. Its own module, so a function that needs nothing else (health) carries nothing else.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry.js';
import type { Telemetry } from '../domain/telemetry.js';
import type { EdgeDependencies } from '../http/route.js';
import { METRICS_NAMESPACE } from '../metrics.js';
import { loadEdgeConfig } from './config.js';

/** Where a function logs and reports. */
export interface Observability {
  readonly logger: Logger;
  /** Powertools metrics (CloudWatch EMF), flushed by the `logMetrics` middleware; absent where metrics are off. */
  readonly metrics?: Metrics;
  /** What the domain reports through (names in lambdas/metrics.ts). */
  readonly telemetry: Telemetry;
}

/** The Powertools logger and metrics of a function in AWS, configured by the `POWERTOOLS_*` variables. */
export function observabilityFromEnv(env: NodeJS.ProcessEnv = process.env): Observability {
  const serviceName = env.POWERTOOLS_SERVICE_NAME || 'service-registry';
  const logger = new Logger({ serviceName });
  // `logMetrics` flushes after every invocation and Powertools warns when nothing is buffered — which, by design,
  // is every successful HTTP request (they report only errors, so a heartbeat costs no metric line). Its warnings
  // therefore go to debug; its errors stay errors.
  const metricsLogger = { debug: logger.debug.bind(logger), info: logger.info.bind(logger), warn: logger.debug.bind(logger), error: logger.error.bind(logger) };
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, logger: metricsLogger });
  return { logger, metrics, telemetry: new PowertoolsTelemetry(metrics) };
}

/**
 * The dependencies of a function that touches no table (health, the OpenAPI document): it has no `TABLE_NAME`.
 *
 * @example
 * export const handler = healthHandler(edgeFromEnv());
 */
export function edgeFromEnv(env: NodeJS.ProcessEnv = process.env): EdgeDependencies {
  return { ...observabilityFromEnv(env), ...loadEdgeConfig(env) };
}
