/**
 * `ServiceRegistry`: the registry's AWS resources as one construct, made of parts: the table (from the shared table
 * definition), the HTTP API (http-api.ts) with its routes from the shared route table, one `RegistryFunction` per
 * handler (registry-function.ts), the prober (and its network, prober-network.ts), change events with their
 * history and archive (history.ts), subscribers (subscriber.ts), DNS, alarms and dashboard. Props are checked
 * first (validation.ts); every cdk-nag acknowledgement is in nag.ts. The local runtime and AWS cannot drift apart.
 */
import { Annotations, Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { HttpMethod, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, Billing, Capacity, ProjectionType, StreamViewType, TableV2, type ThroughputProps } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule, RuleTargetInput, Schedule, EventBus, type IEventBus, type IRuleTarget, type Archive } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { registryAlarms } from './alarms.js';
import { acknowledgeNagFindings, acknowledgeProberVpcFindings, acknowledgeRouteGrantFindings } from './nag.js';
import { ProberNetwork } from './prober-network.js';
import { RegistryDns, type RegistryDnsOptions } from './dns.js';
import { RegistryDashboard } from './dashboard.js';
import {
  consumeStreamForHistory,
  eventArchive,
  historyEnvironment,
  historyTableBinding,
  registryStreamSource,
  WriteOnlyS3OnFailureDestination,
  type EventArchiveOptions,
} from './history.js';
import { registryHttpApi } from './http-api.js';
import { RegistryFunction, type RegistryFunctionProps } from './registry-function.js';
import { checkServices, instanceChangePattern, RegistrySubscriber, type InstanceChangeOptions, type SubscriberOptions } from './subscriber.js';
import { tableActionsOf } from './table-access.js';
import { bearerTokenAuthorizer, iamRoutes, isTokenRoute } from './token-authorizer.js';
import { checkedRoleArn, checkProps, describePrincipal, isRole, type CheckedCapacity } from './validation.js';
// The shared contracts of the service (lambdas/ is the app's, not a package): the build inlines them (scripts/build.mts).
import { routes, type RouteDefinition } from '../../../lambdas/routes.js';
import { registryTable, servicePartition } from '../../../lambdas/table.js';
import { DEFAULTS, proberTimeoutSeconds } from '../../contracts/src/defaults.js';

/**
 * Provisioned capacity of the registry table, scaled by DynamoDB auto scaling between the bounds given, aiming at
 * `targetUtilizationPercent` of what is provisioned. Cheaper than on-demand for a steady write load (heartbeats):
 * a write capacity unit-hour costs $0.00065 (us-east-1) and, at 70 % utilisation, carries about 3,900 writes, about
 * $0.17 per million against on-demand's $0.625. Auto scaling follows a changing load only within minutes, and a
 * burst above the provisioned capacity is throttled (the API answers 429 and the agents retry), so on-demand stays
 * the default and suits a fleet whose load jumps.
 *
 * The `services` index gets auto-scaled capacity of its own, from 1 unit up to the same maxima: it is written only
 * when a service's counters change (the stream publisher's one write per service per batch), not by heartbeats.
 *
 * @example
 * new ServiceRegistry(stack, 'Registry', {
 *   // 1,000 instances heartbeating every 60 s: ~17 writes/s, so ~24 WCU at 70 %; room for a rolling deploy.
 *   provisionedCapacity: { minWriteCapacity: 25, maxWriteCapacity: 200, maxReadCapacity: 100 },
 * });
 */
export interface ProvisionedCapacity {
  /**
   * Read capacity units the table keeps at least. A whole number, at least 1.
   * @default 1
   */
  readonly minReadCapacity?: number;
  /** Read capacity units auto scaling may raise the table to. A whole number, at least `minReadCapacity`. */
  readonly maxReadCapacity: number;
  /**
   * Write capacity units the table keeps at least. A whole number, at least 1.
   * @default 1
   */
  readonly minWriteCapacity?: number;
  /** Write capacity units auto scaling may raise the table to. A whole number, at least `minWriteCapacity`. */
  readonly maxWriteCapacity: number;
  /**
   * Share of the provisioned capacity auto scaling aims to consume, in percent, 20 to 90 (DynamoDB's range).
   * Lower leaves more headroom for a burst before auto scaling catches up; higher costs less.
   * @default 70
   */
  readonly targetUtilizationPercent?: number;
}

export interface ServiceRegistryProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN - registrations survive a `cdk destroy`
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Bill the table by provisioned capacity with auto scaling instead of per request (see {@link ProvisionedCapacity}
   * for when that is cheaper). Bad bounds fail the synth.
   * @default - on-demand (pay per request): no capacity to plan, no throttling below the account's limits
   */
  readonly provisionedCapacity?: ProvisionedCapacity;
  /**
   * IAM role ARNs (`arn:<partition>:iam::<account>:role/<path><name>`) that may change any instance (admins).
   * They are matched by account and role name, so a role under a path (IAM Identity Center's
   * `/aws-reserved/sso.amazonaws.com/…`) is an admin too. Anything else fails the synth. This only makes them
   * admins in the handlers; give them the routes with {@link ServiceRegistry.grantAdmin} or your own policy.
   * @default - none
   */
  readonly adminPrincipals?: string[];
  /**
   * Time between prober rounds (whole seconds). Each round is one short invocation: the schedule's every minute,
   * and between them delayed messages of the prober's queue.
   * @default Duration.seconds(10)
   */
  readonly probeInterval?: Duration;
  /**
   * Between rounds, the prober re-probes a target whose latest probe failed this often, until it passes or reaches
   * its `unhealthyThreshold`, so a dead instance is critical seconds after its first failed probe instead of
   * `unhealthyThreshold - 1` rounds later; a fleet with no failures is probed no more. `Duration.seconds(0)` turns
   * it off; otherwise from 100 ms, in whole milliseconds, shorter than `probeInterval`.
   * @default Duration.seconds(1)
   */
  readonly probeRetryInterval?: Duration;
  /**
   * Prober shards: each runs on its own schedule and probes the services whose name hashes to it.
   * @default 1
   */
  readonly proberShards?: number;
  /**
   * Memory of the prober function, in MB (arm64; Lambda gives CPU in proportion). 128 MB holds a shard of a couple
   * of thousand probed instances (a 1,000-target round measured ~140 MiB RSS with the TypeScript loader, less
   * bundled) and a steady round needs little CPU; a shard of 10,000 needs about 512 (250 MiB RSS in
   * `npm run bench:probe`). Lambda bills GB-seconds: a CPU-bound round costs the same at any size, waiting on the
   * network less at a smaller one.
   * @default 128
   */
  readonly proberMemory?: number;
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
  /**
   * The fast path of change events: the functions that write changes (register, bulk register, patch, deregister)
   * publish each change's event with PutEvents right after the write, and only they are granted PutEvents besides
   * the publisher. The stream publisher (DynamoDB Streams → Lambda, p50 ≈ 213 ms, p99 ≈ 552 ms) still publishes it
   * as the backstop: subscribers receive most changes twice, the same event (`detail.eventId`, `revision`), and drop
   * the second (the SDK's cache does, by revision). A fast publish waits at most 100 ms and never fails the write.
   * Costs one PutEvents entry per change ($1.00 per million) and its wait in the writing function's duration;
   * heartbeats publish nothing.
   * @default true - changes are rare beside heartbeats, so doubling their events costs little, and subscribers learn
   *   of a change in tens of milliseconds instead of hundreds
   */
  readonly fastPublish?: boolean;
}

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
  /** The prober and lease sweeper: one round per invocation, from the schedule and from {@link proberQueue}. */
  public readonly prober: RegistryFunction;
  /** The minute's later prober rounds, as delayed messages (the prober is its event source's function). */
  public readonly proberQueue: Queue;
  /** Round messages whose invocation failed twice (kept a day, for inspection only). */
  public readonly proberDeadLetterQueue: Queue;
  /**
   * With `vpc`: the function the schedule invokes, outside the VPC, which queues the minute's rounds (round 0 too),
   * so the prober in the VPC needs no route to SQS.
   * @default - none; the schedule invokes the prober, which queues the later rounds and runs round 0 itself
   */
  public readonly proberScheduler?: RegistryFunction;
  /** The bearer-token Lambda authorizer of the `auth: 'token'` routes (connectors), when the route table has any. */
  public readonly tokenAuthorizer?: RegistryFunction;
  /** Where change events are published. */
  public readonly eventBus: IEventBus;
  /** Publishes the table's stream to the bus. */
  public readonly publisher: RegistryFunction;
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
  public readonly historyWriter: RegistryFunction;
  /** The archive of the registry's events on the bus, unless `archive: false`. */
  public readonly eventArchive?: Archive;

  private readonly adminPrincipals: string[];
  private readonly eventSource: string;
  private readonly logRetention?: RetentionDays;
  /**
   * The prober's settings the reads must share, as environment variables under the names both `loadProberConfig`
   * and `loadConfig` read (lambdas/wiring/config.ts): the shard count (a service's guard state is the item of
   * `shardOf(service, shards)`), the round interval (how long reads judge an expiry provisionally), and the lease
   * guard's threshold, minimum population and maximum duration (the defaults of packages/contracts/src/defaults.ts,
   * stated so the prober and the reads cannot read different ones). Computed once for all of them.
   */
  private readonly proberEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ServiceRegistryProps = {}) {
    super(scope, id);
    const settings = checkProps(props);
    this.adminPrincipals = settings.adminPrincipals;
    const allowedCidrs = [...(props.allowedCidrs ?? (props.vpc ? [props.vpc.vpcCidrBlock] : []))];
    this.eventSource = props.eventSource ?? 'service-registry';
    this.logRetention = props.logRetention;
    this.proberEnvironment = {
      REGISTRY_PROBE_SHARDS: String(settings.proberShards),
      REGISTRY_PROBE_INTERVAL_SECONDS: String(settings.probeIntervalSeconds),
      REGISTRY_PROTECTION_LEASE_SHARE: String(DEFAULTS.protection.leaseExpiryShare),
      REGISTRY_PROTECTION_MIN_INSTANCES: String(DEFAULTS.protection.minPopulation),
      REGISTRY_PROTECTION_MAX_SECONDS: String(DEFAULTS.protection.maxLeaseProtectionSeconds),
    };

    const index = registryTable.servicesIndex;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: registryTable.partitionKey, type: AttributeType.STRING },
      sortKey: { name: registryTable.sortKey, type: AttributeType.STRING },
      billing: settings.capacity ? Billing.provisioned(tableThroughput(settings.capacity)) : Billing.onDemand(),
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
          ...(settings.capacity && indexThroughput(settings.capacity)),
        },
      ],
    });

    const http = registryHttpApi(this, {
      heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
      ...(props.expectedInstances !== undefined && { expectedInstances: props.expectedInstances }),
      ...(props.throttleRateLimit !== undefined && { throttleRateLimit: props.throttleRateLimit }),
      ...(props.throttleBurstLimit !== undefined && { throttleBurstLimit: props.throttleBurstLimit }),
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
    });
    this.api = http.api;
    this.apiUrl = http.url;

    // Routes for clients that cannot sign SigV4 sit behind the bearer-token authorizer (token-authorizer.ts), which
    // may only read token items by key.
    if (routes.some(isTokenRoute)) {
      this.tokenAuthorizer = this.function('TokenAuthorizer', { handler: 'token-authorizer', timeout: Duration.seconds(5) });
      this.tokenAuthorizer.bindTable(this.table, tableActionsOf('token-authorizer'));
    }
    const tokenAuthorizer = this.tokenAuthorizer && bearerTokenAuthorizer(this.tokenAuthorizer);
    const functions: Record<string, RegistryFunction> = {};
    for (const route of routes) {
      const fn = (functions[route.handler] ??= this.routeFunction(route, allowedCidrs));
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
        authorizer: isTokenRoute(route) ? tokenAuthorizer! : http.iam,
      });
    }
    this.functions = Object.freeze(functions);

    // The prober/sweeper: one round per invocation (lambdas/functions/prober.ts). The schedule invokes it every
    // minute; that invocation queues the minute's later rounds as delayed messages, and the queue's event source
    // invokes it for each of them, so Lambda bills probe time only, not a minute-long invocation.
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
    const proberTimeout = Duration.seconds(proberTimeoutSeconds(settings.probeIntervalSeconds));
    const proberMemory = props.proberMemory ?? DEFAULTS.prober.memoryMb;
    if (!Number.isInteger(proberMemory) || proberMemory < 128 || proberMemory > 10_240) {
      throw new Error(`proberMemory must be a whole number of MB from 128 to 10240, got ${proberMemory}`);
    }
    this.prober = this.function('Prober', {
      handler: 'prober',
      timeout: proberTimeout,
      memorySize: proberMemory,
      environment: {
        ...this.proberEnvironment,
        REGISTRY_PROBE_RETRY_SECONDS: String(settings.probeRetrySeconds),
        ...allowCidrsEnvironment(allowedCidrs),
      },
      ...(props.vpc && { vpc: props.vpc, ...(props.vpcSubnets && { vpcSubnets: props.vpcSubnets }), securityGroups: this.proberNetwork!.securityGroups }),
    });
    this.prober.bindTable(this.table, tableActionsOf('prober'));
    if (this.proberNetwork) acknowledgeProberVpcFindings(this.prober, this.proberNetwork);
    // The schedule invokes the prober asynchronously. A failed or late invocation must not be retried on top of
    // the next scheduled one (the lock would make it wait, then probe out of cadence): no retries, and an event
    // older than the schedule is dropped, by EventBridge (target retry policy, minimum age 60 s:
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html) and by Lambda's async
    // queue (default 2 retries, 6 h: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
    this.prober.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    // The rounds between the schedule's: delayed messages (10, 20, … 50 s), one round each. A message whose
    // invocation failed comes back after the visibility timeout (the least Lambda accepts: the function's timeout),
    // once; then it goes to the dead-letter queue, kept a day to look at (a stale round is never worth replaying:
    // the next minute's schedule carries on). SQS-managed encryption (free; a KMS key would bill every request).
    this.proberDeadLetterQueue = new Queue(this, 'ProberDeadLetterQueue', {
      retentionPeriod: Duration.days(1),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.proberQueue = new Queue(this, 'ProberQueue', {
      visibilityTimeout: proberTimeout,
      // A round message is stale after a minute; the longest delay is under a minute.
      retentionPeriod: Duration.minutes(5),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.proberDeadLetterQueue, maxReceiveCount: 2 },
    });
    // One message per invocation. No maximum concurrency: with it Lambda keeps five pollers, without it an idle
    // queue is polled by as few as two (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html), and
    // the lock keeps overlapping rounds apart anyway.
    this.prober.addEventSource(new SqsEventSource(this.proberQueue, { batchSize: 1 }));
    // In a VPC the prober would need an SQS interface endpoint (~$7 a month per zone) or a NAT route to queue the
    // rounds; a small function outside the VPC does it instead (the same code, REGISTRY_PROBE_SCHEDULE_ONLY: it
    // queues round 0 too and touches no table), and the event source reaches the prober without any route.
    if (props.vpc) {
      this.proberScheduler = this.function('ProberScheduler', {
        handler: 'prober',
        timeout: Duration.seconds(10),
        memorySize: DEFAULTS.prober.memoryMb,
        environment: { ...this.proberEnvironment, REGISTRY_PROBE_SCHEDULE_ONLY: 'true' },
      });
      this.proberScheduler.bindTable(this.table, []);
      this.proberScheduler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    }
    const scheduled = this.proberScheduler ?? this.prober;
    scheduled.addEnvironment('REGISTRY_PROBE_QUEUE_URL', this.proberQueue.queueUrl);
    this.proberQueue.grantSendMessages(scheduled);
    // Change events: stream → publisher → EventBridge. The filter criteria are the same patterns the local stream
    // stand-in applies, so heartbeat-only writes never invoke the function here either.
    this.eventBus = props.eventBus ?? new EventBus(this, 'EventBus');
    this.publisher = this.function('Publisher', {
      handler: 'publisher',
      timeout: Duration.seconds(30),
      environment: { EVENT_BUS_NAME: this.eventBus.eventBusName, REGISTRY_EVENT_SOURCE: this.eventSource },
    });
    this.eventBus.grantPutEventsTo(this.publisher);
    // The fast path: the writing functions publish their changes at once too (lambdas/wiring/fast-publish.ts).
    if (props.fastPublish ?? true) {
      for (const handler of FAST_PUBLISH_HANDLERS) {
        const fn = functions[handler];
        if (!fn) continue;
        fn.addEnvironment('REGISTRY_FAST_PUBLISH', 'true')
          .addEnvironment('EVENT_BUS_NAME', this.eventBus.eventBusName)
          .addEnvironment('REGISTRY_EVENT_SOURCE', this.eventSource);
        this.eventBus.grantPutEventsTo(fn);
      }
    }
    // The publisher also keeps the service counters from the stream (lambdas/domain/stream-counters.ts): an
    // `UpdateItem` of the counter items, which live in the services' partitions (`SVC#…`), on the table alone.
    this.publisher.bindTable(this.table, tableActionsOf('publisher'), { leadingKeyPrefix: servicePartition('') });
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
    this.historyWriter = this.function('HistoryWriter', {
      handler: 'history',
      timeout: Duration.seconds(30),
      environment: historyEnvironment(props.historyRetention),
    });
    this.historyWriter.bindTable(this.table, ...historyTableBinding());
    consumeStreamForHistory(this.historyWriter, this.table, new WriteOnlyS3OnFailureDestination(failureBucket));
    this.eventArchive = eventArchive(this, this.eventBus, this.eventSource, props.archive);

    // Past ~50,000 probed instances, run several shards: each schedule probes the services that hash to its shard.
    // Shard 0's rule keeps the id of the single-shard rule, so changing the shard count adds or removes rules
    // without replacing the first one.
    const shards = settings.proberShards;
    for (let shard = 0; shard < shards; shard++) {
      new Rule(this, shard === 0 ? 'ProberSchedule' : `ProberSchedule${shard}`, {
        description: `Runs the registry prober and lease sweeper (shard ${shard} of ${shards})`,
        schedule: Schedule.rate(Duration.minutes(1)),
        targets: [new LambdaTarget(scheduled, { retryAttempts: 0, maxEventAge: Duration.seconds(60), event: RuleTargetInput.fromObject({ shard, shards }) })],
      });
    }

    if (props.dns) {
      this.dns = new RegistryDns(this, 'Dns', {
        ...props.dns,
        eventBus: this.eventBus,
        eventSource: this.eventSource,
        // Reads through discovery like the route functions: the table, its read actions, the prober's settings.
        createFunction: (timeout, environment) => this.readerFunction('DnsSync', { handler: 'dns-sync', timeout, environment }),
      });
    }
    this.alarms = registryAlarms(this, { publisher: this.publisher, api: this.api, prober: this.prober }, props.alarmTopic);
    if (props.dashboard ?? true) {
      const all = new Set<IFunction>([
        ...Object.values(this.functions),
        this.prober,
        ...(this.proberScheduler ? [this.proberScheduler] : []),
        this.publisher,
        this.historyWriter,
        ...(this.tokenAuthorizer ? [this.tokenAuthorizer] : []),
      ]);
      this.dashboard = new RegistryDashboard(this, 'Dashboard', {
        api: this.api,
        publisher: this.publisher,
        prober: this.prober,
        functions: [...all],
        proberShards: shards,
      });
      if (this.dns) this.dashboard.addDeadLetterQueue('DNS sync', this.dns.deadLetterQueue);
    }
    acknowledgeNagFindings(this, this.table, failureBucket);
  }

  /**
   * Lets `grantee` register, patch, heartbeat and deregister instances of `service` — and nothing else: IAM action
   * `execute-api:Invoke` on the exact route ARNs of the `$default` stage (`…/PUT/v1/services/<service>/instances/*`,
   * the same for `PATCH` and `DELETE`, the heartbeat's `POST` below it, and the bulk routes
   * `…/PUT/v1/services/<service>/instances` and `…/POST/v1/services/<service>/heartbeats`). This is how "a service may
   * only write its own name" holds in AWS.
   *
   * @example
   * registry.grantRegister(ordersTaskRole, 'orders');
   */
  public grantRegister(grantee: IGrantable, service: string): Grant {
    return this.grantRoutes(
      grantee,
      iamRoutes(routes, { admin: false }).filter((r) => r.table === 'write'),
      service,
    );
  }

  /**
   * Lets `grantee` discover instances (of `service`, or of every service) and read the registry's own routes: IAM
   * action `execute-api:Invoke` on the ARNs of the read routes (`GET`) of the `$default` stage, with `service` (or
   * `*`) in place of the service name.
   *
   * @example
   * registry.grantDiscover(gatewayRole);            // every service
   * registry.grantDiscover(paymentsRole, 'orders'); // one service
   */
  public grantDiscover(grantee: IGrantable, service?: string): Grant {
    const reads = iamRoutes(routes, { admin: false }).filter(
      (r) => r.table !== 'write' && (service === undefined || r.path.includes('{service}') || r.table === 'none'),
    );
    return this.grantRoutes(grantee, reads, service ?? '*');
  }

  /**
   * Lets `grantee` call every route and change any instance (ownership is not checked for admins): IAM action
   * `execute-api:Invoke` on the ARN of every IAM route of the `$default` stage (the token admin routes included),
   * and the role's ARN in every function's `REGISTRY_ADMIN_PRINCIPALS`. Fails at synthesis when the grantee's
   * principal is not an IAM role (a user, group, service, account or ARN principal): the handlers recognise admins
   * by their role, so anything else would get the routes but never be an admin.
   *
   * @example
   * registry.grantAdmin(platformRole);
   */
  public grantAdmin(grantee: IGrantable): Grant {
    const principal = grantee.grantPrincipal;
    // Only IAM roles can be admins: the handlers match the caller's assumed role by account and role name (see
    // lambdas/http/caller.ts). Refuse anything else here rather than let writes fail with 403 at run time.
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
   * EventBridge rules; with its own dead-letter queue, shown on the dashboard. Give a gateway's role
   * `subscriber.grantConsume(role)`: the SDK's SQS change feed long-polls it and deletes what it applied. Fails
   * when `services` is an empty list.
   *
   * Each change arrives **up to twice** (with `fastPublish`, the writing function's copy and the stream publisher's,
   * the same event: same `detail.eventId` and `revision`), and SQS may deliver any message again: consumers apply an
   * instance event only when its `revision` is newer than what they hold (the SDK's `ServiceCache` does), or drop
   * an `eventId` they have seen. The same holds for {@link onInstanceChange} targets.
   *
   * @example
   * const subscriber = registry.addSubscriber('Gateway', { services: ['orders', 'payments'] });
   * subscriber.grantConsume(gatewayRole);
   */
  public addSubscriber(id: string, options: SubscriberOptions = {}): RegistrySubscriber {
    checkServices(`addSubscriber('${id}')`, options.services);
    const subscriber = new RegistrySubscriber(this, `${id}SubscriberQueue`, {
      eventBus: this.eventBus,
      eventSource: this.eventSource,
      ...(options.services && { services: options.services }),
    });
    this.dashboard?.addDeadLetterQueue(`${id} subscriber`, subscriber.deadLetters);
    return subscriber;
  }

  /**
   * An EventBridge rule (a child `id` of the registry) that sends the instance events of `services` (every service
   * when omitted) to `target`: a Lambda function, a Step Functions state machine, another bus… For a cache of the
   * registry use {@link addSubscriber}: it also receives the protection and resync events a cache needs. Fails when
   * `services` is an empty list.
   *
   * @example
   * registry.onInstanceChange('OrdersToAudit', new LambdaFunction(auditFunction), { services: ['orders'] });
   */
  public onInstanceChange(id: string, target: IRuleTarget, options: InstanceChangeOptions = {}): Rule {
    checkServices(`onInstanceChange('${id}')`, options.services);
    return new Rule(this, id, {
      eventBus: this.eventBus,
      description: options.description ?? `Registry instance events for ${id}`,
      eventPattern: instanceChangePattern(this.eventSource, options.services),
      targets: [target],
    });
  }

  private grantRoutes(grantee: IGrantable, list: readonly RouteDefinition[], service: string): Grant {
    const paths = list.map((route) => ({ method: route.method, path: route.path.replace('{service}', service).replace(/\{\w+\}/g, '*') }));
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: paths.map(({ method, path }) => this.api.arnForExecuteApi(method, path, '$default')),
    });
    // The wildcards stand for instance ids (and, for discover/admin grants, service names) of this one API only.
    acknowledgeRouteGrantFindings(this.api, grantee, paths);
    return grant;
  }

  /** The function of a route handler: the table with exactly its actions (table-access.ts) when it uses the table. */
  private routeFunction(route: RouteDefinition, allowedCidrs: readonly string[]): RegistryFunction {
    // Registration is where an address enters the registry, so it applies the address policy (as the prober does).
    const environment = ADDRESS_POLICY_HANDLERS.includes(route.handler) ? allowCidrsEnvironment(allowedCidrs) : {};
    if (route.table === 'none') {
      const fn = this.function(route.id, { handler: route.handler, environment });
      const actions = tableActionsOf(route.handler);
      if (actions.length > 0) this.table.grant(fn, ...actions);
      return fn;
    }
    return this.readerFunction(route.id, { handler: route.handler, environment });
  }

  /**
   * A function that uses the table: `TABLE_NAME` and its actions (table-access.ts), and the prober's settings,
   * since every function that reads the table reads the guard's state too (a service's item is the one of its
   * prober shard) and judges expiries provisionally with the prober's thresholds (lambdas/wiring/config.ts
   * `loadConfig`).
   */
  private readerFunction(name: string, props: RegistryFunctionProps): RegistryFunction {
    const actions = tableActionsOf(props.handler);
    if (actions.length === 0) throw new Error(`table-access.ts declares no table actions for handler '${props.handler}'`);
    const fn = this.function(name, { ...props, environment: { ...this.proberEnvironment, ...props.environment } });
    fn.bindTable(this.table, actions);
    return fn;
  }

  /** A `RegistryFunction` (`<name>Function`, its log group `<name>Logs`) with the registry's log retention and admins. */
  private function(name: string, props: RegistryFunctionProps): RegistryFunction {
    return new RegistryFunction(this, `${name}Function`, {
      ...props,
      ...(this.logRetention !== undefined && { logRetention: this.logRetention }),
      // Resolved at synthesis, so roles passed to grantAdmin() later are included.
      adminPrincipals: Lazy.string({ produce: () => this.adminPrincipals.join(',') }),
    });
  }
}

/**
 * Route handlers whose entry builds its dependencies with `writerFromEnv` (lambdas/wiring/fast-publish.ts), so they
 * publish their changes at once under `fastPublish` (test/packages/cdk checks the list against the entries).
 */
export const FAST_PUBLISH_HANDLERS: readonly string[] = ['register', 'register-many', 'patch-instance', 'deregister'];

/** Route handlers that check instance addresses against the address policy. */
const ADDRESS_POLICY_HANDLERS: readonly string[] = ['register', 'eureka'];

function allowCidrsEnvironment(cidrs: readonly string[]): Record<string, string> {
  return cidrs.length === 0 ? {} : { REGISTRY_ALLOW_CIDRS: cidrs.join(',') };
}

/** The table's provisioned throughput: both capacities auto-scaled within the checked bounds. */
function tableThroughput(capacity: CheckedCapacity): ThroughputProps {
  const { read, write, targetUtilizationPercent } = capacity;
  return {
    readCapacity: Capacity.autoscaled({ minCapacity: read.min, maxCapacity: read.max, targetUtilizationPercent }),
    writeCapacity: Capacity.autoscaled({ minCapacity: write.min, maxCapacity: write.max, targetUtilizationPercent }),
  };
}

/** The `services` index's throughput: from 1 unit up to the table's maxima (it carries only counter writes). */
function indexThroughput(capacity: CheckedCapacity): { readCapacity: Capacity; writeCapacity: Capacity } {
  const { read, write, targetUtilizationPercent } = capacity;
  return {
    readCapacity: Capacity.autoscaled({ minCapacity: 1, maxCapacity: read.max, targetUtilizationPercent }),
    writeCapacity: Capacity.autoscaled({ minCapacity: 1, maxCapacity: write.max, targetUtilizationPercent }),
  };
}
