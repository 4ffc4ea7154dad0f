/**
 * The registry's HTTP API without its routes: the API (IAM authorisation by default), the `$default` stage with
 * its throttle sized from the fleet (throttle.ts), the access log and the 429 metric read from it. The routes are
 * added by `ServiceRegistry` from the shared route table.
 */
import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { FilterPattern, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, THROTTLED_REQUESTS_METRIC } from './alarms.js';
import { ACCOUNT_RATE_QUOTA, DEFAULT_EXPECTED_INSTANCES, stageThrottle } from './throttle.js';

/** What the API needs of `ServiceRegistryProps`, checked (validation.ts). */
export interface RegistryHttpApiOptions {
  readonly expectedInstances?: number;
  readonly heartbeatIntervalSeconds: number;
  readonly throttleRateLimit?: number;
  readonly throttleBurstLimit?: number;
  readonly logRetention?: RetentionDays;
}

export interface RegistryHttpApi {
  readonly api: HttpApi;
  /** The default authorizer of the API, for the routes that keep IAM. */
  readonly iam: HttpIamAuthorizer;
  /** Base URL of the `$default` stage. */
  readonly url: string;
}

/**
 * The access log, in HTTP API context variables (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html):
 * `routeKey` and `path` rather than the REST API's `resourcePath`, and the caller's IAM identity. The
 * `ThrottledRequests` metric filter reads `status`.
 */
const HTTP_API_ACCESS_LOG = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.userArn',
} as const;

/**
 * The API, its stage and access log, as children `Api`, `DefaultStage` and `ApiAccessLogs` of `scope`.
 *
 * @example
 * const { api, iam, url } = registryHttpApi(this, { heartbeatIntervalSeconds: 10 });
 */
export function registryHttpApi(scope: Construct, options: RegistryHttpApiOptions): RegistryHttpApi {
  // IAM auth by default: callers sign with SigV4, and grants on route ARNs decide who may call what (token routes
  // get the bearer-token authorizer instead).
  const iam = new HttpIamAuthorizer();
  const api = new HttpApi(scope, 'Api', {
    description: 'Service registry v1',
    defaultAuthorizer: iam,
    createDefaultStage: false,
  });
  const accessLogs = new LogGroup(scope, 'ApiAccessLogs', {
    retention: options.logRetention ?? RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const sized = stageThrottle(options.expectedInstances ?? DEFAULT_EXPECTED_INSTANCES, options.heartbeatIntervalSeconds);
  const throttle = { rateLimit: options.throttleRateLimit ?? sized.rateLimit, burstLimit: options.throttleBurstLimit ?? sized.burstLimit };
  if (throttle.rateLimit > ACCOUNT_RATE_QUOTA) {
    Annotations.of(scope).addWarningV2(
      '@service-registry/throttle-above-account-quota',
      `The stage throttle (${throttle.rateLimit} requests/s) is above API Gateway's default account quota of ${ACCOUNT_RATE_QUOTA} requests/s per Region, shared by all APIs of the account: request an increase (Service Quotas L-8A5B8E43) or heartbeats will get 429.`,
    );
  }
  const stage = new HttpStage(scope, 'DefaultStage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle,
    accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: AccessLogFormat.custom(JSON.stringify(HTTP_API_ACCESS_LOG)) },
  });
  // HTTP APIs publish 4xx but no 429 metric (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html),
  // and 4xx also counts every IAM denial; the access log has the status of each request, so count 429s there.
  accessLogs.addMetricFilter('ThrottledRequests', {
    filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
    metricNamespace: METRICS_NAMESPACE,
    metricName: THROTTLED_REQUESTS_METRIC,
    metricValue: '1',
  });
  return { api, iam, url: stage.url };
}
