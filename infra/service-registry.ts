/**
 * `ServiceRegistry`: the registry's AWS resources as one construct. The table comes from the shared table
 * definition and the HTTP API from the shared route table, so the local runtime and AWS cannot drift apart.
 */
import { fileURLToPath } from 'node:url';
import { CfnElement, Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { streamFilterPatterns } from '../lambdas/stream-filter.js';
import { registryAlarms } from './alarms.js';
import { acknowledgeNagFindings } from './nag.js';
import { DETAIL_TYPES } from '../lambdas/domain/events.js';
import { Construct } from 'constructs';
import { routes, type RouteDefinition } from '../lambdas/routes.js';
import { registryTable } from '../lambdas/table.js';

export interface ServiceRegistryProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN - registrations survive a `cdk destroy`
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * IAM role ARNs that may change any instance (admins).
   * @default - none
   */
  readonly adminPrincipals?: readonly string[];
  /**
   * Seconds between prober rounds within one invocation.
   * @default 10
   */
  readonly probeIntervalSeconds?: number;
  /**
   * Prober shards: each runs on its own schedule and probes the services whose name hashes to it.
   * @default 1
   */
  readonly proberShards?: number;
  /**
   * Steady-state requests per second and burst of the API's default stage.
   * @default - 1,000 requests/s, burst 2,000
   */
  readonly throttle?: { readonly rateLimit?: number; readonly burstLimit?: number };
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
   * @default - the prober runs outside any VPC (it can reach only public addresses)
   */
  readonly vpc?: IVpc;
  /**
   * Subnets of `vpc` for the prober.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: SubnetSelection;
  /**
   * Security groups of the prober in `vpc`.
   * @default - a new security group allowing all outbound traffic
   */
  readonly securityGroups?: ISecurityGroup[];
  /**
   * Log retention of every function.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

const HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers/', import.meta.url));

/**
 * @example
 * const registry = new ServiceRegistry(stack, 'Registry');
 * new CfnOutput(stack, 'ApiUrl', { value: registry.api.apiEndpoint });
 */
export class ServiceRegistry extends Construct {
  public readonly table: TableV2;
  public readonly api: HttpApi;
  /** Base URL of the API (the `$default` stage). */
  public readonly apiUrl: string;
  /** One function per route handler, by handler name. */
  public readonly functions: ReadonlyMap<string, IFunction>;
  /** The scheduled prober and lease sweeper. */
  public readonly prober: NodejsFunction;
  /** Where change events are published. */
  public readonly eventBus: IEventBus;
  /** Publishes the table's stream to the bus. */
  public readonly publisher: NodejsFunction;
  /** Stream batches the publisher gave up on (after retries), for inspection and replay. */
  public readonly publisherDeadLetterQueue: Queue;
  /** Publisher errors, iterator age, dead letters, API 5xx, prober errors and duration. */
  public readonly alarms: readonly Alarm[];

  private readonly adminPrincipals: string[];
  private readonly eventSource: string;

  constructor(scope: Construct, id: string, props: ServiceRegistryProps = {}) {
    super(scope, id);
    this.adminPrincipals = [...(props.adminPrincipals ?? [])];
    this.eventSource = props.eventSource ?? 'service-registry';

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

    // Every route uses IAM auth: callers sign with SigV4, and grants on route ARNs decide who may call what.
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
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle?.rateLimit ?? 1000, burstLimit: props.throttle?.burstLimit ?? 2000 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    this.apiUrl = stage.url;

    const functions = new Map<string, NodejsFunction>();
    for (const route of routes) {
      let fn = functions.get(route.handler);
      if (!fn) {
        fn = this.routeFunction(route, props);
        functions.set(route.handler, fn);
      }
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
        authorizer: iam,
      });
    }
    this.functions = functions;

    // The prober/sweeper: every minute, running rounds until shortly before its timeout. The timeout is a little
    // longer than the schedule so the next invocation is already waiting for the lock when this one lets go.
    this.prober = this.lambda(
      'Prober',
      'prober',
      props,
      Duration.seconds(75),
      { TABLE_NAME: this.table.tableName, REGISTRY_PROBE_INTERVAL_SECONDS: String(props.probeIntervalSeconds ?? 10) },
      props.vpc && { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups },
    );
    this.table.grantReadWriteData(this.prober);
    // Change events: stream → publisher → EventBridge. The filter criteria are the same patterns the local stream
    // stand-in applies, so heartbeat-only writes never invoke the function here either.
    this.eventBus = props.eventBus ?? new EventBus(this, 'EventBus');
    this.publisher = this.lambda('Publisher', 'publisher', props, Duration.seconds(30), {
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      REGISTRY_EVENT_SOURCE: this.eventSource,
    });
    this.eventBus.grantPutEventsTo(this.publisher);
    this.publisherDeadLetterQueue = new Queue(this, 'PublisherDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.publisher.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.millis(0),
        // One batch per shard at a time keeps each instance's records in order.
        parallelizationFactor: 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(6),
        onFailure: new SqsDlq(this.publisherDeadLetterQueue),
        filters: streamFilterPatterns.map((pattern) => FilterCriteria.filter(pattern as Record<string, unknown>)),
      }),
    );

    // Past ~50,000 probed instances, run several shards: each schedule probes the services that hash to its shard.
    const shards = props.proberShards ?? 1;
    for (let shard = 0; shard < shards; shard++) {
      new Rule(this, shards === 1 ? 'ProberSchedule' : `ProberSchedule${shard}`, {
        description: `Runs the registry prober and lease sweeper (shard ${shard} of ${shards})`,
        schedule: Schedule.rate(Duration.minutes(1)),
        targets: [new LambdaFunction(this.prober, { retryAttempts: 0, event: RuleTargetInput.fromObject({ shard, shards }) })],
      });
    }

    this.alarms = registryAlarms(this, { publisher: this.publisher, deadLetterQueue: this.publisherDeadLetterQueue, api: this.api, prober: this.prober }, props.alarmTopic);
    acknowledgeNagFindings(this, this.table, this.publisherDeadLetterQueue);
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
    return this.grantRoutes(grantee, routes.filter((r) => r.table === 'write'), service);
  }

  /**
   * Lets `grantee` discover instances (of `service`, or of every service) and read the registry's own routes.
   *
   * @example
   * registry.grantDiscover(gatewayRole);            // every service
   * registry.grantDiscover(paymentsRole, 'orders'); // one service
   */
  public grantDiscover(grantee: IGrantable, service?: string): Grant {
    const reads = routes.filter((r) => r.table !== 'write' && (service === undefined || r.path.includes('{service}') || r.table === 'none'));
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
    // Only roles can be admins: the handlers compare the caller's role ARN (see lambdas/http/caller.ts).
    if ('roleArn' in principal) this.adminPrincipals.push((principal as { roleArn: string }).roleArn);
    return this.grantRoutes(grantee, routes, '*');
  }

  /**
   * A queue that receives the change events of `services` (all when omitted) plus the registry's protection
   * events, through an EventBridge rule; with its own dead-letter queue. Grant a gateway's role
   * `queue.grantConsumeMessages(role)`: the SDK's SQS change feed long-polls it and deletes what it applied.
   *
   * @example
   * const queue = registry.addSubscriber('Gateway', { services: ['orders', 'payments'] });
   * queue.grantConsumeMessages(gatewayRole);
   */
  public addSubscriber(id: string, options: { readonly services?: readonly string[] } = {}): Queue {
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
    new Rule(this, `${id}SubscriberProtectionRule`, {
      eventBus: this.eventBus,
      description: `Registry protection events for subscriber ${id}`,
      eventPattern: { source: [this.eventSource], detailType: DETAIL_TYPES.filter((t) => t.startsWith('Registry')) },
      targets: [target],
    });
    return queue;
  }

  private grantRoutes(grantee: IGrantable, list: readonly RouteDefinition[], service: string): Grant {
    const paths = list.map((route) => ({ method: route.method, path: route.path.replace('{service}', service).replace('{instanceId}', '*') }));
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: paths.map(({ method, path }) => this.api.arnForExecuteApi(method, path, '$default')),
    });
    // The wildcards stand for instance ids (and, for discover/admin grants, service names) of this one API only.
    const principal: unknown = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      const stack = Stack.of(this);
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      const api = `<${stack.getLogicalId(this.api.node.defaultChild as CfnElement)}>`;
      for (const { method, path } of paths.filter((p) => p.path.includes('*'))) {
        Validations.of(principal).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:${region}:${account}:${api}/$default/${method}${path}]`,
          reason: 'Scoped to one route of the registry API; the wildcard stands for instance ids (or service names for discover and admin grants).',
        });
      }
    }
    return grant;
  }



  private routeFunction(route: RouteDefinition, props: ServiceRegistryProps): NodejsFunction {
    const fn = this.lambda(route.id, route.handler, props, Duration.seconds(10), route.table === 'none' ? {} : { TABLE_NAME: this.table.tableName });
    if (route.table === 'write') this.table.grantReadWriteData(fn);
    else if (route.table === 'read') this.table.grantReadData(fn);
    return fn;
  }

  /** One function, with the defaults every registry function shares (one place for them). */
  private lambda(
    id: string,
    handler: string,
    props: ServiceRegistryProps,
    timeout: Duration,
    environment: Record<string, string>,
    network: Pick<NodejsFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> = {},
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new NodejsFunction(this, `${id}Function`, {
      entry: `${HANDLERS_DIR}${handler}.ts`,
      handler: 'handler',
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
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node22',
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); give ESM bundles one.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
  }
}
