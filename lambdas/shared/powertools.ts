/** The one configured Powertools logger every function shares. Level from `POWERTOOLS_LOG_LEVEL`. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry.js';
import { FanOutTelemetry } from '../domain/telemetry.js';
import { METRICS_NAMESPACE } from '../metrics.js';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'service-registry' });

/** The one Metrics instance (CloudWatch EMF). Locally the runtime sets POWERTOOLS_METRICS_DISABLED. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'service-registry' });

/**
 * What the functions report through (names in lambdas/metrics.ts): EMF via `metrics` in AWS; the local runtime
 * attaches its prom-client adapter (`telemetry.attach(...)`) — handler modules are loaded once per process there
 * as in a Lambda execution environment, so the adapter is attached rather than passed.
 */
export const telemetry = new FanOutTelemetry([new PowertoolsTelemetry(metrics)]);
