/**
 * The registry's DNS view in Route 53 (the `dns` prop of `ServiceRegistry`): a private hosted zone (given, or created
 * for a VPC) kept by the `dns-sync` function (lambdas/handlers/dns-sync.ts) from the registry's change events, with a
 * full reconcile on a schedule.
 */
import { Duration, Token } from 'aws-cdk-lib';
import type { IVpc } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { PrivateHostedZone, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DETAIL_TYPES } from '@service-registry/contracts';

/**
 * Options of the registry's DNS in Route 53: give `zone` (an existing private hosted zone), or `vpc` (a private zone
 * named `domain` is created and associated with it).
 */
export interface RegistryDnsOptions {
  /**
   * An existing private hosted zone. The sync owns, under `domain`, every SRV set named `_<label>._tcp.<domain>` and
   * every A/AAAA set at `<label>.<domain>`, `<label>.<label>.<domain>` and `<label>.instance.<label>.<domain>`, and
   * deletes those that are not the registry's: give it a zone (or a subdomain) of its own.
   * @default - a new private zone for `vpc`
   */
  readonly zone?: IHostedZone;
  /**
   * The VPC a new private hosted zone is associated with (ignored with `zone`; associate more with `zone.addVpc`).
   * @default - none; then `zone` is required
   */
  readonly vpc?: IVpc;
  /**
   * The domain the records live under: the zone's name, or a subdomain of it.
   * @default - the zone's name; 'registry.internal' for a new zone
   */
  readonly domain?: string;
  /**
   * TTL of the records.
   * @default Duration.seconds(5)
   */
  readonly ttl?: Duration;
  /**
   * How often a full reconcile runs (heals a missed event, removes the records of services that are gone).
   * @default Duration.minutes(5)
   */
  readonly reconcileInterval?: Duration;
}

/** What the registry gives its DNS: where events come from, and how to make a function with the shared defaults. */
export interface RegistryDnsProps extends RegistryDnsOptions {
  readonly eventBus: IEventBus;
  readonly eventSource: string;
  /** Creates the sync function with the registry's function defaults and table grant, adding `environment`. */
  readonly createFunction: (timeout: Duration, environment: Record<string, string>) => LambdaFunction;
}

/** Longest a sync or reconcile may run: a reconcile of a large zone lists it at five requests a second. */
const SYNC_TIMEOUT = Duration.minutes(2);

/**
 * The zone, the queue of change events and the sync function.
 *
 * @example
 * const registry = new ServiceRegistry(stack, 'Registry', { vpc, dns: { vpc, domain: 'registry.internal' } });
 * registry.dns!.zone; // the private hosted zone
 */
export class RegistryDns extends Construct {
  /** The private hosted zone the records are kept in. */
  public readonly zone: IHostedZone;
  /** The domain the records live under. */
  public readonly domain: string;
  /** Change events waiting to be applied. */
  public readonly queue: Queue;
  /** Events the sync failed on ten times (the next reconcile repairs their records anyway). */
  public readonly deadLetterQueue: Queue;
  /** The sync function (reserved concurrency 1: one writer of the zone at a time). */
  public readonly syncFunction: LambdaFunction;

  constructor(scope: Construct, id: string, props: RegistryDnsProps) {
    super(scope, id);
    if (!props.zone && !props.vpc) throw new Error('dns: give `zone` (an existing private hosted zone) or `vpc` (to create one)');
    const ttl = props.ttl?.toSeconds() ?? 5;
    if (!Number.isInteger(ttl) || ttl > 86_400) throw new Error(`dns.ttl must be whole seconds up to a day, got ${props.ttl?.toHumanString()}`);
    this.zone =
      props.zone ?? new PrivateHostedZone(this, 'Zone', { zoneName: props.domain ?? 'registry.internal', vpc: props.vpc!, comment: 'Service registry DNS' });
    this.domain = (props.domain ?? this.zone.zoneName).toLowerCase().replace(/\.$/, '');
    if (!Token.isUnresolved(this.domain) && !Token.isUnresolved(this.zone.zoneName)) {
      const zoneName = this.zone.zoneName.toLowerCase().replace(/\.$/, '');
      if (this.domain !== zoneName && !this.domain.endsWith(`.${zoneName}`)) throw new Error(`dns.domain '${this.domain}' is not in the zone '${zoneName}'`);
    }

    this.syncFunction = props.createFunction(SYNC_TIMEOUT, {
      HOSTED_ZONE_ID: this.zone.hostedZoneId,
      REGISTRY_DNS_DOMAIN: this.domain,
      REGISTRY_DNS_TTL_SECONDS: String(ttl),
    });
    // One writer of the zone: two concurrent syncs could each DELETE a set the other just changed (Route 53 refuses
    // a DELETE that does not match the set exactly), and Route 53 allows five requests a second per account anyway.
    (this.syncFunction.node.defaultChild as CfnFunction).reservedConcurrentExecutions = 1;
    // Least privilege: the two record-set actions, on this zone only (no ListHostedZones, no other zone).
    Grant.addToPrincipal({
      grantee: this.syncFunction,
      actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
      resourceArns: [this.zone.hostedZoneArn],
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      retentionPeriod: Duration.days(1),
      // Lambda's guidance for an SQS source: at least six times the function timeout
      // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
      visibilityTimeout: Duration.seconds(SYNC_TIMEOUT.toSeconds() * 6),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Reserved concurrency 1 makes the poller's extra invocations throttle and return messages to the queue, which
      // counts as a receive: leave room before the dead-letter queue.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 10 },
    });
    new Rule(this, 'ChangeRule', {
      eventBus: props.eventBus,
      description: 'Registry change events for the DNS sync',
      // Every type: instance events name their service, resync events the services to reload, protection events
      // change which expired leases reads keep (the sync then reconciles everything).
      eventPattern: { source: [props.eventSource], detailType: [...DETAIL_TYPES] },
      targets: [new SqsQueue(this.queue)],
    });
    // Changes coalesce per service within a batch: up to 100 events or 5 seconds, whichever comes first.
    this.syncFunction.addEventSource(new SqsEventSource(this.queue, { batchSize: 100, maxBatchingWindow: Duration.seconds(5) }));

    const interval = props.reconcileInterval ?? Duration.minutes(5);
    new Rule(this, 'ReconcileSchedule', {
      description: 'Full reconcile of the registry DNS zone',
      schedule: Schedule.rate(interval),
      // A reconcile that waits behind a running sync (concurrency 1) is retried by Lambda; one older than the
      // interval is superseded by the next.
      targets: [new LambdaTarget(this.syncFunction, { retryAttempts: 2, maxEventAge: Duration.seconds(Math.max(60, interval.toSeconds())) })],
    });
  }
}
