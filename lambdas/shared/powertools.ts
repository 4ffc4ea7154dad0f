/** The one configured Powertools logger every function shares. Level from `POWERTOOLS_LOG_LEVEL`. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'service-registry' });

/** The one Metrics instance (CloudWatch EMF). Locally the runtime sets POWERTOOLS_METRICS_DISABLED. */
export const metrics = new Metrics({ namespace: 'ServiceRegistry', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'service-registry' });
