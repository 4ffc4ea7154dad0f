/**
 * `ServiceRegistry`: the registry's AWS resources as one construct. The table comes from the shared table
 * definition and the HTTP API from the shared route table, so the local runtime and AWS cannot drift apart.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, CfnElement, Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Code, Function as LambdaFunction, Runtime, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { FilterPattern, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { S3OnFailureDestination } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import ipaddr from 'ipaddr.js';
import { METRICS_NAMESPACE, registryAlarms, THROTTLED_REQUESTS_METRIC } from './alarms.js';
import { acknowledgeNagFindings, acknowledgeProberVpcFindings, partitionOf } from './nag.js';
import { ProberNetwork } from './prober-network.js';
import { RegistryDns, type RegistryDnsOptions } from './dns.js';
import { RegistryDashboard } from './dashboard.js';
import { consumeStreamForHistory, eventArchive, registryStreamSource, grantHistoryWrites, historyEnvironment, type EventArchiveOptions } from './history.js';
import type { Archive } from 'aws-cdk-lib/aws-events';
import { tableActionsOf } from './table-access.js';
import { bearerTokenAuthorizer, iamRoutes, isTokenRoute } from './token-authorizer.js';
import { ACCOUNT_RATE_QUOTA, DEFAULT_EXPECTED_INSTANCES, DEFAULT_HEARTBEAT_INTERVAL_SECONDS, stageThrottle } from './throttle.js';
import { DETAIL_TYPES, type DetailType } from '@service-registry/contracts';
import { Construct } from 'constructs';
// The shared contracts of the service (lambdas/ is the app's, not a package): the build inlines them (scripts/build.ts).
import { routes, type RouteDefinition } from '../../../lambdas/routes.js';
import { registryTable } from '../../../lambdas/table.js';
import { DEFAULT_PROTECTION } from '../../../lambdas/domain/protection.js';

export interface ServiceRegistryProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN - registrations survive a `cdk destroy`
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * IAM role ARNs (`arn:<partition>:iam::<account>:role/<path><name>`) that may change any instance (admins).
   * They are matched by account and role name, so a role under a path (IAM Identity Center's
   * `/aws-reserved/sso.amazonaws.com/…`) is an admin too. Anything else fails the synth. This only makes them
   * admins in the handlers; give them the routes with {@link ServiceRegistry.grantAdmin} or your own policy.
   * @default - none
   */
  readonly adminPrincipals?: string[];
  /**
   * Time between prober rounds within one invocation (whole seconds).
   * @default Duration.seconds(10)
   */
  readonly probeInterval?: Duration;
  /**
   * Prober shards: each runs on its own schedule and probes the services whose name hashes to it.
   * @default 1
   */
  readonly proberShards?: number;
  /**
   * Lease-mode instances the registry must keep alive: sizes the stage throttle. Every instance heartbeats every
   * `heartbeatInterval`, so the API must accept `expectedInstances / heartbeatInterval` requests/s
   * just to keep leases; the throttle is twice that (jitter, registrations, discovery, a fleet re-registering
   * after a deploy), burst twice the rate. Past the throttle heartbeats get 429, leases lapse and instances leave
   * discovery, hence the `ApiThrottledAlarm`.
   *
   * Worked example: 5,000 instances × 2 / 10 s = 1,000 requests/s (burst 2,000), the default; 50,000 instances
   * need 10,000 requests/s, the default account quota of the Region, shared by every API of the account
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html) — the synth warns past it.
   * Probe-driven instances cost no API requests and do not count.
   * @default 5,000
   */
  readonly expectedInstances?: number;
  /**
   * How often lease-mode instances heartbeat (the SDK agent renews every lease/3).
   * @default Duration.seconds(10) - the agent's interval for the default 30 s lease
   */
  readonly heartbeatInterval?: Duration;
  /**
   * Steady-state requests per second of the API's default stage; overrides the sizing from `expectedInstances`.
   * @default - sized from expectedInstances: 1,000 requests/s for the defaults
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of the API's default stage; overrides the sizing from `expectedInstances`.
   * @default - twice the sized rate: 2,000 for the defaults
   */
  readonly throttleBurstLimit?: number;
  /**
   * Where alarms notify.
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: ITopic;
  /**
   * The EventBridge bus change events go to.
   * @default - a new bus
   */
  readonly eventBus?: IEventBus;
  /**
   * `source` of the change events.
   * @default 'service-registry'
   */
  readonly eventSource?: string;
  /**
   * VPC for the prober, so it can reach instances on private addresses.
   * @default - the prober runs outside any VPC: it can reach only public addresses (the synth warns)
   */
  readonly vpc?: IVpc;
  /**
   * Where instances may live: sets `REGISTRY_ALLOW_CIDRS` on the functions that apply the address policy
   * (registration and the prober), and the only destinations (TCP) the prober's security group allows besides
   * DynamoDB. Add peered networks here; addresses outside are refused at registration and never probed.
   * @default - the VPC's primary CIDR when `vpc` is given; otherwise no CIDR restriction
   */
  readonly allowedCidrs?: string[];
  /**
   * Add a DynamoDB gateway endpoint to the route tables of the prober's subnets, so it reaches the table without
   * a NAT gateway (in isolated subnets it could not reach it at all). Turn off when the VPC has one already: a
   * route table holds one route per prefix list.
   * @default true
   */
  readonly dynamoDbGatewayEndpoint?: boolean;
  /**
   * Subnets of `vpc` for the prober.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: SubnetSelection;
  /**
   * Security groups of the prober in `vpc`, used as given (their egress rules are yours).
   * @default - a new security group allowing egress only to `allowedCidrs` (TCP) and DynamoDB (443)
   */
  readonly securityGroups?: ISecurityGroup[];
  /**
   * Log retention of every function.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Serve the registry over DNS from a Route 53 private hosted zone (`SRV _<service>._tcp.<domain>`, `A`/`AAAA
   * <service>.<domain>`, `<tag>.<service>.<domain>`), kept from change events with a scheduled reconcile (dns.ts).
   * @default - no DNS
   */
  readonly dns?: RegistryDnsOptions;
  /**
   * Create a CloudWatch dashboard of the registry (dashboard.ts): its own metrics, API 4xx/5xx/latency, iterator
   * age, throttles, the prober, dead-letter queue depth. $3 a month beyond the account's first three dashboards.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * How long change history is kept (`GET /v1/services/{service}/history`), whole days; DynamoDB TTL removes it.
   * @default Duration.days(30)
   */
  readonly historyRetention?: Duration;
  /**
   * An EventBridge archive of the registry's events on the bus, so they can be replayed into a new subscriber
   * (`aws events start-replay`); `false` for none.
   * @default - an archive keeping events 30 days
   */
  readonly archive?: EventArchiveOptions | false;
}

/**
 * Options of {@link ServiceRegistry.addSubscriber}.
 */
export interface SubscriberOptions {
  /**
   * The services whose instance events the queue receives; it also receives the `Registry Resync Required` events
   * that name one of them (and no other). At least one name.
   * @default - every service, and every resync event
   */
  readonly services?: string[];
}

/**
 * The handlers, prebuilt when the package is built (packages/cdk/scripts/build-lambdas.ts): one directory per
 * handler module with its `index.mjs` bundle and source map, next to `dist/` in the package and next to `src/` in
 * the repository, so a consumer's synth bundles nothing.
 */
const LAMBDA_DIR = fileURLToPath(new URL('../lambda/', import.meta.url));

/**
 * The service registry: table, HTTP API with one function per handler, prober, change events and alarms.
 *
 * @example
 * const registry = new ServiceRegistry(stack, 'Registry', { vpc });
 * registry.grantRegister(ordersTaskRole, 'orders');
 * registry.grantDiscover(gatewayRole);
 * new CfnOutput(stack, 'ApiUrl', { value: registry.apiUrl });
 */
export class ServiceRegistry extends Construct {
  /** The registry table: instances, service counters and the prober's state items (retained on delete by default). */
  public readonly table: TableV2;
  /** The HTTP API with one route per entry of the route table: IAM-authorised, or bearer tokens for `auth: 'token'`. */
  public readonly api: HttpApi;
  /** Base URL of the API (the `$default` stage). */
  public readonly apiUrl: string;
  /** One function per route handler, by handler module name (`register`, `discover`, …). */
  public readonly functions: { [handler: string]: IFunction };
  /** The scheduled prober and lease sweeper. */
  public readonly prober: LambdaFunction;
  /** The bearer-token Lambda authorizer of the `auth: 'token'` routes (connectors), when the route table has any. */
  public readonly tokenAuthorizer?: LambdaFunction;
  /** Where change events are published. */
  public readonly eventBus: IEventBus;
  /** Publishes the table's stream to the bus. */
  public readonly publisher: LambdaFunction;
  /**
   * Stream batches the publisher gave up on (after 10 retries or 6 h), with their records, for inspection and
   * replay: an S3 on-failure destination stores the whole invocation record, an SQS one only metadata.
   */
  public readonly publisherFailureBucket: IBucket;
  /** The prober's network pieces when it runs in `vpc` (gateway endpoint, security group). */
  public readonly proberNetwork?: ProberNetwork;
  /** Publish failures, publisher errors, iterator age, API 5xx and 429s, prober errors and duration. */
  public readonly alarms: Alarm[];
  /** The Route 53 zone, event queue and sync function, when `dns` is given. */
  public readonly dns?: RegistryDns;
  /** The CloudWatch dashboard, unless `dashboard: false`. */
  public readonly dashboard?: RegistryDashboard;
  /** Writes the change history from the table's stream (its own event source mapping, beside the publisher's). */
  public readonly historyWriter: LambdaFunction;
  /** The archive of the registry's events on the bus, unless `archive: false`. */
  public readonly eventArchive?: Archive;

  private readonly adminPrincipals: string[];
  private readonly eventSource: string;

  constructor(scope: Construct, id: string, props: ServiceRegistryProps = {}) {
    super(scope, id);
    this.adminPrincipals = (props.adminPrincipals ?? []).map((arn) => checkedRoleArn(arn, 'adminPrincipals'));
    const allowedCidrs = [...(props.allowedCidrs ?? (props.vpc ? [props.vpc.vpcCidrBlock] : []))];
    for (const cidr of allowedCidrs) checkCidr(cidr);
    this.eventSource = props.eventSource ?? 'service-registry';
    // Computed once: the prober and every function that reads the table get the same values.
    const prober = proberSettings(props);

    const index = registryTable.servicesIndex;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: registryTable.partitionKey, type: AttributeType.STRING },
      sortKey: { name: registryTable.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: registryTable.timeToLiveAttribute,
      dynamoStream: StreamViewType[registryTable.streamView],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...index.nonKeyAttributes],
        },
      ],
    });

    // IAM auth by default: callers sign with SigV4, and grants on route ARNs decide who may call what (token routes
    // get the bearer-token authorizer instead, below).
    const iam = new HttpIamAuthorizer();
    this.api = new HttpApi(this, 'Api', {
      description: 'Service registry v1',
      defaultAuthorizer: iam,
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const heartbeatSeconds = props.heartbeatInterval?.toSeconds() ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
    const sized = stageThrottle(props.expectedInstances ?? DEFAULT_EXPECTED_INSTANCES, heartbeatSeconds);
    const throttle = { rateLimit: props.throttleRateLimit ?? sized.rateLimit, burstLimit: props.throttleBurstLimit ?? sized.burstLimit };
    if (throttle.rateLimit > ACCOUNT_RATE_QUOTA) {
      Annotations.of(this).addWarningV2(
        '@service-registry/throttle-above-account-quota',
        `The stage throttle (${throttle.rateLimit} requests/s) is above API Gateway's default account quota of ${ACCOUNT_RATE_QUOTA} requests/s per Region, shared by all APIs of the account: request an increase (Service Quotas L-8A5B8E43) or heartbeats will get 429.`,
      );
    }
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
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
    this.apiUrl = stage.url;

    // Routes for clients that cannot sign SigV4 sit behind the bearer-token authorizer (token-authorizer.ts), which
    // may only read token items by key.
    if (routes.some(isTokenRoute)) {
      this.tokenAuthorizer = this.lambda('TokenAuthorizer', 'token-authorizer', props, Duration.seconds(5), { TABLE_NAME: this.table.tableName });
      this.table.grant(this.tokenAuthorizer, ...tableActionsOf('token-authorizer'));
    }
    const tokenAuthorizer = this.tokenAuthorizer && bearerTokenAuthorizer(this.tokenAuthorizer);
    const functions = new Map<string, LambdaFunction>();
    for (const route of routes) {
      let fn = functions.get(route.handler);
      if (!fn) {
        fn = this.routeFunction(route, props, allowedCidrs, prober.environment);
        functions.set(route.handler, fn);
      }
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
        authorizer: isTokenRoute(route) ? tokenAuthorizer! : iam,
      });
    }
    this.functions = Object.freeze(Object.fromEntries(functions));

    // The prober/sweeper: every minute, running rounds until shortly before its timeout. The timeout is a little
    // longer than the schedule so the next invocation is already waiting for the lock when this one lets go.
    if (props.vpc) {
      this.proberNetwork = new ProberNetwork(this, 'ProberNetwork', {
        vpc: props.vpc,
        ...(props.vpcSubnets && { vpcSubnets: props.vpcSubnets }),
        ...(props.securityGroups && { securityGroups: props.securityGroups }),
        allowedCidrs,
        dynamoDbEndpoint: props.dynamoDbGatewayEndpoint ?? true,
      });
    } else {
      Annotations.of(this).addWarningV2(
        '@service-registry/prober-without-vpc',
        'The prober runs outside any VPC, so it cannot probe instances on private addresses (10.x, 172.16-31.x, 192.168.x): probe-driven instances there fail every probe. Pass `vpc` (the example app: -c vpcId=… or -c createVpc=true).',
      );
    }
    this.prober = this.lambda(
      'Prober',
      'prober',
      props,
      Duration.seconds(75),
      {
        TABLE_NAME: this.table.tableName,
        ...prober.environment,
        ...allowCidrsEnvironment(allowedCidrs),
      },
      props.vpc && { vpc: props.vpc, ...(props.vpcSubnets && { vpcSubnets: props.vpcSubnets }), securityGroups: this.proberNetwork!.securityGroups },
    );
    this.table.grant(this.prober, ...tableActionsOf('prober'));
    if (this.proberNetwork) acknowledgeProberVpcFindings(this.prober, this.proberNetwork);
    // The schedule invokes the prober asynchronously. A failed or late invocation must not be retried on top of
    // the next scheduled one (the lock would make it wait, then probe out of cadence): no retries, and an event
    // older than the schedule is dropped, by EventBridge (target retry policy, minimum age 60 s:
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html) and by Lambda's async
    // queue (default 2 retries, 6 h: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
    this.prober.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    // Change events: stream → publisher → EventBridge. The filter criteria are the same patterns the local stream
    // stand-in applies, so heartbeat-only writes never invoke the function here either.
    this.eventBus = props.eventBus ?? new EventBus(this, 'EventBus');
    this.publisher = this.lambda('Publisher', 'publisher', props, Duration.seconds(30), {
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      REGISTRY_EVENT_SOURCE: this.eventSource,
    });
    this.eventBus.grantPutEventsTo(this.publisher);
    // Records the mapping gives up on (10 retries or 6 h; stream data itself lasts only 24 h). Lambda writes the
    // whole invocation record with its batch to an S3 destination; an SQS or SNS destination gets only the shard
    // and sequence numbers, useless once the stream has trimmed them
    // (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
    const failureBucket = new Bucket(this, 'PublisherFailureBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Unpublished changes: kept through a stack deletion, like the table.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'ExpireFailedBatches', expiration: Duration.days(90) }],
    });
    this.publisherFailureBucket = failureBucket;
    // One batch per shard at a time keeps each instance's records in order (registryStreamSource, history.ts).
    this.publisher.addEventSource(registryStreamSource(this.table, new WriteOnlyS3OnFailureDestination(failureBucket)));
    // Change history (history.ts): the stream's second consumer, failing into the same bucket (keys are per mapping).
    this.historyWriter = this.lambda('HistoryWriter', 'history', props, Duration.seconds(30), { TABLE_NAME: this.table.tableName, ...historyEnvironment(props.historyRetention) });
    grantHistoryWrites(this.historyWriter, this.table);
    consumeStreamForHistory(this.historyWriter, this.table, new WriteOnlyS3OnFailureDestination(failureBucket));
    this.eventArchive = eventArchive(this, this.eventBus, this.eventSource, props.archive);

    // Past ~50,000 probed instances, run several shards: each schedule probes the services that hash to its shard.
    const shards = prober.shards;
    for (let shard = 0; shard < shards; shard++) {
      new Rule(this, shards === 1 ? 'ProberSchedule' : `ProberSchedule${shard}`, {
        description: `Runs the registry prober and lease sweeper (shard ${shard} of ${shards})`,
        schedule: Schedule.rate(Duration.minutes(1)),
        targets: [
          new LambdaTarget(this.prober, { retryAttempts: 0, maxEventAge: Duration.seconds(60), event: RuleTargetInput.fromObject({ shard, shards }) }),
        ],
      });
    }

    if (props.dns) {
      this.dns = new RegistryDns(this, 'Dns', {
        ...props.dns,
        eventBus: this.eventBus,
        eventSource: this.eventSource,
        // Reads through discovery like the route functions: the table, its read actions, the prober's settings.
        createFunction: (timeout, environment) => {
          const fn = this.lambda('DnsSync', 'dns-sync', props, timeout, { TABLE_NAME: this.table.tableName, ...prober.environment, ...environment });
          this.table.grant(fn, ...tableActionsOf('dns-sync'));
          return fn;
        },
      });
    }
    this.alarms = registryAlarms(this, { publisher: this.publisher, api: this.api, prober: this.prober }, props.alarmTopic);
    if (props.dashboard ?? true) {
      const functions = new Set<IFunction>([...Object.values(this.functions), this.prober, this.publisher, this.historyWriter, ...(this.tokenAuthorizer ? [this.tokenAuthorizer] : [])]);
      this.dashboard = new RegistryDashboard(this, 'Dashboard', { api: this.api, publisher: this.publisher, prober: this.prober, functions: [...functions], proberShards: prober.shards });
      if (this.dns) this.dashboard.addDeadLetterQueue('DNS sync', this.dns.deadLetterQueue);
    }
    acknowledgeNagFindings(this, this.table, failureBucket);
  }



  /**
   * Lets `grantee` register, patch, heartbeat and deregister instances of `service` — and nothing else: an IAM
   * policy on the exact route ARNs (`…/PUT/v1/services/<service>/instances/*`, …). This is how "a service may only
   * write its own name" holds in AWS.
   *
   * @example
   * registry.grantRegister(ordersTaskRole, 'orders');
   */
  public grantRegister(grantee: IGrantable, service: string): Grant {
    return this.grantRoutes(grantee, iamRoutes(routes, { admin: false }).filter((r) => r.table === 'write'), service);
  }

  /**
   * Lets `grantee` discover instances (of `service`, or of every service) and read the registry's own routes.
   *
   * @example
   * registry.grantDiscover(gatewayRole);            // every service
   * registry.grantDiscover(paymentsRole, 'orders'); // one service
   */
  public grantDiscover(grantee: IGrantable, service?: string): Grant {
    const reads = iamRoutes(routes, { admin: false }).filter((r) => r.table !== 'write' && (service === undefined || r.path.includes('{service}') || r.table === 'none'));
    return this.grantRoutes(grantee, reads, service ?? '*');
  }

  /**
   * Lets `grantee` call every route and change any instance (ownership is not checked for admins).
   *
   * @example
   * registry.grantAdmin(platformRole);
   */
  public grantAdmin(grantee: IGrantable): Grant {
    const principal = grantee.grantPrincipal;
    // Only IAM roles can be admins: the handlers match the caller's assumed role by account and role name (see
    // lambdas/http/caller.ts). A user, group, service or account principal would get the routes but never be an
    // admin, so refuse it here rather than let writes fail with 403 at run time.
    if (!isRole(principal)) {
      throw new Error(
        `grantAdmin: ${describePrincipal(principal)} is not an IAM role. Admins are recognised by their role (account and role name); pass a Role, e.g. Role.fromRoleArn(this, 'Admin', 'arn:aws:iam::123456789012:role/platform-admin').`,
      );
    }
    this.adminPrincipals.push(checkedRoleArn(principal.roleArn, 'grantAdmin'));
    // Every IAM route, the token admin routes included; the token routes are the authorizer's, not IAM's.
    return this.grantRoutes(grantee, iamRoutes(routes, { admin: true }), '*');
  }

  /**
   * A queue that receives the change events of `services` (all when omitted), the registry's protection events,
   * and the `Registry Resync Required` events that name one of `services` (every one when omitted), through
   * EventBridge rules; with its own dead-letter queue. Grant a gateway's role
   * `queue.grantConsumeMessages(role)`: the SDK's SQS change feed long-polls it and deletes what it applied.
   *
   * @example
   * const queue = registry.addSubscriber('Gateway', { services: ['orders', 'payments'] });
   * queue.grantConsumeMessages(gatewayRole);
   */
  public addSubscriber(id: string, options: SubscriberOptions = {}): Queue {
    // An empty list would be an event pattern EventBridge refuses (or, read as "none", a queue that hears nothing).
    if (options.services?.length === 0) throw new Error(`addSubscriber('${id}'): services must name at least one service; omit it for every service`);
    const deadLetterQueue = new Queue(this, `${id}SubscriberDeadLetterQueue`, {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new Queue(this, `${id}SubscriberQueue`, {
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(30),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
    });
    this.dashboard?.addDeadLetterQueue(`${id} subscriber`, deadLetterQueue);
    const target = new SqsQueue(queue);
    new Rule(this, `${id}SubscriberRule`, {
      eventBus: this.eventBus,
      description: `Registry change events for subscriber ${id}`,
      eventPattern: {
        source: [this.eventSource],
        detailType: DETAIL_TYPES.filter((t) => t.startsWith('Instance')),
        ...(options.services && { detail: { service: [...options.services] } }),
      },
      targets: [target],
    });
    // The guard's events concern every service of a prober shard: every subscriber gets them.
    new Rule(this, `${id}SubscriberProtectionRule`, {
      eventBus: this.eventBus,
      description: `Registry protection events for subscriber ${id}`,
      eventPattern: { source: [this.eventSource], detailType: DETAIL_TYPES.filter((t) => t.startsWith('Registry Protection')) },
      targets: [target],
    });
    // A resync names the services whose events may be missing (`detail.services`, an array): only a subscriber
    // holding one of them is told, so no queue learns other services' names and no cache reloads for nothing.
    // EventBridge matches an array field of the event when the intersection of the pattern's values and the
    // event's array is non-empty (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html).
    new Rule(this, `${id}SubscriberResyncRule`, {
      eventBus: this.eventBus,
      description: `Registry resync events for subscriber ${id}`,
      eventPattern: {
        source: [this.eventSource],
        detailType: ['Registry Resync Required'] satisfies DetailType[],
        ...(options.services && { detail: { services: [...options.services] } }),
      },
      targets: [target],
    });
    return queue;
  }

  private grantRoutes(grantee: IGrantable, list: readonly RouteDefinition[], service: string): Grant {
    const paths = list.map((route) => ({ method: route.method, path: route.path.replace('{service}', service).replace(/\{\w+\}/g, '*') }));
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: paths.map(({ method, path }) => this.api.arnForExecuteApi(method, path, '$default')),
    });
    // The wildcards stand for instance ids (and, for discover/admin grants, service names) of this one API only.
    const principal: unknown = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      const stack = Stack.of(this);
      // cdk-nag names the ARN as the template has it: `arn:aws:…` once the partition is a literal
      // (`@aws-cdk/core:enablePartitionLiterals` with a concrete region), `arn:<AWS::Partition>:…` otherwise.
      const partition = partitionOf(this);
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      const api = `<${stack.getLogicalId(this.api.node.defaultChild as CfnElement)}>`;
      for (const { method, path } of paths.filter((p) => p.path.includes('*'))) {
        Validations.of(principal).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:${partition}:execute-api:${region}:${account}:${api}/$default/${method}${path}]`,
          reason: 'Scoped to one route of the registry API; the wildcard stands for instance ids (or service names for discover and admin grants).',
        });
      }
    }
    return grant;
  }



  private routeFunction(
    route: RouteDefinition,
    props: ServiceRegistryProps,
    allowedCidrs: readonly string[],
    proberEnvironment: Readonly<Record<string, string>>,
  ): LambdaFunction {
    // Every function that reads the table reads the guard's state too (a service's item is the one of its prober
    // shard) and judges expiries provisionally with the prober's thresholds: lambdas/shared/config.ts `loadConfig`.
    const environment: Record<string, string> = route.table === 'none' ? {} : { TABLE_NAME: this.table.tableName, ...proberEnvironment };
    // Registration is where an address enters the registry, so it applies the address policy (as the prober does).
    if (ADDRESS_POLICY_HANDLERS.includes(route.handler)) Object.assign(environment, allowCidrsEnvironment(allowedCidrs));
    const fn = this.lambda(route.id, route.handler, props, Duration.seconds(10), environment);
    // Exactly the DynamoDB actions the function's code sends (table-access.ts).
    const actions = tableActionsOf(route.handler);
    if (route.table !== 'none' && actions.length === 0) throw new Error(`table-access.ts declares no table actions for handler '${route.handler}'`);
    if (actions.length > 0) this.table.grant(fn, ...actions);
    return fn;
  }

  /** One function, with the defaults every registry function shares (one place for them). */
  private lambda(
    id: string,
    handler: string,
    props: ServiceRegistryProps,
    timeout: Duration,
    environment: Record<string, string>,
    network: FunctionNetwork = {},
  ): LambdaFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new LambdaFunction(this, `${id}Function`, {
      code: prebuiltCode(handler),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout,
      logGroup,
      ...network,
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: 'service-registry',
        // The bundles ship source maps; this makes stack traces point at the TypeScript.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Resolved at synthesis, so roles passed to grantAdmin() later are included.
        REGISTRY_ADMIN_PRINCIPALS: Lazy.string({ produce: () => this.adminPrincipals.join(',') }),
        REGISTRY_ALLOW_LOOPBACK: 'false',
      },
    });
  }
}

/** Where the prober of a VPC runs (the props of `lambda.Function` it uses). */
interface FunctionNetwork {
  readonly vpc?: IVpc;
  readonly vpcSubnets?: SubnetSelection;
  readonly securityGroups?: ISecurityGroup[];
}

/** The prebuilt bundle of a handler module, or a synth-time error saying how to build it (in this repository). */
function prebuiltCode(handler: string): Code {
  const dir = join(LAMBDA_DIR, handler);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`@service-registry/cdk: the prebuilt code of '${handler}' is missing (${dir}); build it with \`npm run build -w @service-registry/cdk\``);
  }
  return Code.fromAsset(dir);
}

/**
 * The prober's settings the reads must share, as environment variables under the names both
 * `loadProberConfig` and `loadConfig` read (lambdas/shared/config.ts): the shard count (a service's guard state is
 * the item of `shardOf(service, shards)`), the round interval (how long reads judge an expiry provisionally), and
 * the lease guard's threshold, minimum population and maximum duration (the construct keeps the handlers'
 * defaults, DEFAULT_PROTECTION, and states them so the prober and the reads cannot read different ones).
 */
function proberSettings(props: ServiceRegistryProps): { shards: number; environment: Readonly<Record<string, string>> } {
  const shards = props.proberShards ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > 1000) throw new Error(`proberShards must be an integer from 1 to 1000, got ${shards}`);
  return {
    shards,
    environment: {
      REGISTRY_PROBE_SHARDS: String(shards),
      REGISTRY_PROBE_INTERVAL_SECONDS: String(probeSeconds(props.probeInterval)),
      REGISTRY_PROTECTION_LEASE_SHARE: String(DEFAULT_PROTECTION.leaseExpiryShare),
      REGISTRY_PROTECTION_MIN_INSTANCES: String(DEFAULT_PROTECTION.minPopulation),
      REGISTRY_PROTECTION_MAX_SECONDS: String(DEFAULT_PROTECTION.maxLeaseProtectionSeconds),
    },
  };
}

/** The probe interval in whole seconds, at least 1 (the prober's setting is in seconds). */
function probeSeconds(interval: Duration | undefined): number {
  const seconds = interval?.toSeconds() ?? 10;
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`probeInterval must be whole seconds, at least 1, got ${interval?.toHumanString()}`);
  return seconds;
}

/** Route handlers that check instance addresses against the address policy. */
const ADDRESS_POLICY_HANDLERS: readonly string[] = ['register', 'eureka'];

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

function allowCidrsEnvironment(cidrs: readonly string[]): Record<string, string> {
  return cidrs.length === 0 ? {} : { REGISTRY_ALLOW_CIDRS: cidrs.join(',') };
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/;

/** A role ARN as the handlers need it, or a synth-time error naming where it came from. */
function checkedRoleArn(arn: string, where: string): string {
  if (Token.isUnresolved(arn)) return arn; // a role of this app (Fn::GetAtt); CloudFormation fills it in
  if (!ROLE_ARN.test(arn)) {
    throw new Error(`${where}: '${arn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<path><name>); admins are recognised by their role`);
  }
  return arn;
}

function checkCidr(cidr: string): void {
  if (Token.isUnresolved(cidr)) return;
  try {
    ipaddr.parseCIDR(cidr);
  } catch {
    throw new Error(`allowedCidrs: '${cidr}' is not a CIDR block (e.g. 10.0.0.0/16 or fd00::/8)`);
  }
}

/** A role of this app or an imported one (`Role.fromRoleArn`/`fromRoleName`): anything with a role ARN and name. */
function isRole(principal: unknown): principal is IRole {
  const candidate = principal as Partial<IRole>;
  return typeof candidate.roleArn === 'string' && typeof candidate.roleName === 'string';
}

function describePrincipal(principal: unknown): string {
  const name = (principal as { constructor?: { name?: string } }).constructor?.name ?? 'the principal';
  return Construct.isConstruct(principal) ? `${name} '${principal.node.path}'` : `a ${name}`;
}

/**
 * The S3 on-failure destination with exactly the permissions Lambda's documentation lists for an S3 destination of
 * a stream event source: `s3:PutObject` (on the bucket's objects) and `s3:ListBucket` (on the bucket)
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html, "Your execution role must have
 * permissions for the destination"; the same list on kafka-on-failure.html). CDK's own `S3OnFailureDestination`
 * grants read and delete of every object too (`grantReadWrite`). The bucket is S3-managed encrypted (SSE-S3), so
 * no `kms:GenerateDataKey` is needed.
 */
class WriteOnlyS3OnFailureDestination extends S3OnFailureDestination {
  constructor(private readonly destination: IBucket) {
    super(destination);
  }

  override bind(_target: unknown, targetHandler: IFunction) {
    Grant.addToPrincipal({ grantee: targetHandler, actions: ['s3:PutObject'], resourceArns: [this.destination.arnForObjects('*')] });
    Grant.addToPrincipal({ grantee: targetHandler, actions: ['s3:ListBucket'], resourceArns: [this.destination.bucketArn] });
    return { destination: this.destination.bucketArn };
  }
}
