/**
 * Subscribers of the registry's change events: `RegistrySubscriber`, the SQS queue the SDK's change feed reads
 * (`ServiceRegistry.addSubscriber`), and the event patterns it and `ServiceRegistry.onInstanceChange` share.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, type EventPattern, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DETAIL_TYPES, type DetailType } from '@service-registry/contracts';

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

/** Options of {@link ServiceRegistry.onInstanceChange}. */
export interface InstanceChangeOptions {
  /**
   * The services whose instance events reach the target. At least one name.
   * @default - every service
   */
  readonly services?: string[];
  /**
   * Description of the rule.
   * @default - 'Registry instance events for <id>'
   */
  readonly description?: string;
}

/** Options of a {@link RegistrySubscriber}. */
export interface RegistrySubscriberProps extends SubscriberOptions {
  /** The bus the registry publishes its change events to (`ServiceRegistry.eventBus`). */
  readonly eventBus: IEventBus;
  /**
   * `source` of the registry's change events (`ServiceRegistryProps.eventSource`).
   * @default 'service-registry'
   */
  readonly eventSource?: string;
}

/**
 * The instance events (`Instance Registered`, `… Deregistered`, `… Expired`, `… Health Changed`, …) of `services`,
 * or of every service.
 *
 * @example
 * new Rule(stack, 'Orders', { eventBus, eventPattern: instanceChangePattern('service-registry', ['orders']) });
 */
export function instanceChangePattern(source: string, services: readonly string[] | undefined): EventPattern {
  return {
    source: [source],
    detailType: DETAIL_TYPES.filter((t) => t.startsWith('Instance')),
    ...(services && { detail: { service: [...services] } }),
  };
}

/** Throws, naming `where`, when `services` is an empty list: EventBridge refuses an empty pattern array (and, read as "none", a rule would hear nothing). */
export function checkServices(where: string, services: readonly string[] | undefined): void {
  if (services?.length === 0) throw new Error(`${where}: services must name at least one service; omit it for every service`);
}

/**
 * A queue that receives the change events of `services` (all when omitted), the registry's protection events, and
 * the `Registry Resync Required` events that name one of `services` (every one when omitted), through three
 * EventBridge rules, with a dead-letter queue (five receives, 14 days). It is the queue itself, so everything a
 * `Queue` offers works on it; the SDK's SQS change feed long-polls it and deletes what it applied. Each change
 * arrives up to twice (the fast path's copy and the stream publisher's: same `detail.eventId` and `revision`), and
 * SQS standard may repeat or reorder messages: apply an instance event only when its `revision` is newer than the
 * one held (the SDK's `ServiceCache` does).
 *
 * Its dead-letter queue and rules are siblings in `scope`, named after `id` without a trailing `Queue`
 * (`<name>DeadLetterQueue`, `<name>Rule`, `<name>ProtectionRule`, `<name>ResyncRule`): the construct ids
 * `ServiceRegistry.addSubscriber` has always used, so their logical ids stay.
 *
 * @example
 * const subscriber = registry.addSubscriber('Gateway', { services: ['orders', 'payments'] });
 * subscriber.grantConsume(gatewayRole);
 */
export class RegistrySubscriber extends Queue {
  /** The queue of events the consumer failed on five times (retained 14 days). */
  public readonly deadLetters: Queue;
  /** The rules that feed the queue: instance events, protection events, resync events. */
  public readonly rules: Rule[];

  constructor(scope: Construct, id: string, props: RegistrySubscriberProps) {
    const name = id.replace(/Queue$/, '');
    checkServices(`RegistrySubscriber '${name}'`, props.services);
    const deadLetters = new Queue(scope, `${name}DeadLetterQueue`, {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    super(scope, id, {
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(30),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    this.deadLetters = deadLetters;
    const source = props.eventSource ?? 'service-registry';
    const label = name.replace(/Subscriber$/, '');
    const target = new SqsQueue(this);
    const rule = (ruleId: string, description: string, eventPattern: EventPattern) =>
      new Rule(scope, `${name}${ruleId}`, { eventBus: props.eventBus, description, eventPattern, targets: [target] });
    this.rules = [
      rule('Rule', `Registry change events for subscriber ${label}`, instanceChangePattern(source, props.services)),
      // The guard's events concern every service of a prober shard: every subscriber gets them.
      rule('ProtectionRule', `Registry protection events for subscriber ${label}`, {
        source: [source],
        detailType: DETAIL_TYPES.filter((t) => t.startsWith('Registry Protection')),
      }),
      // A resync names the services whose events may be missing (`detail.services`, an array): only a subscriber
      // holding one of them is told, so no queue learns other services' names and no cache reloads for nothing.
      // EventBridge matches an array field of the event when the intersection of the pattern's values and the
      // event's array is non-empty (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html).
      rule('ResyncRule', `Registry resync events for subscriber ${label}`, {
        source: [source],
        detailType: ['Registry Resync Required'] satisfies DetailType[],
        ...(props.services && { detail: { services: [...props.services] } }),
      }),
    ];
  }

  /**
   * Lets `grantee` consume the queue as the SDK's change feed does: `sqs:ReceiveMessage`,
   * `sqs:ChangeMessageVisibility`, `sqs:GetQueueUrl`, `sqs:DeleteMessage` and `sqs:GetQueueAttributes` on this queue
   * (the queue is SQS-managed encrypted, so no KMS action). The same as `grantConsumeMessages`.
   *
   * @example
   * subscriber.grantConsume(gatewayRole);
   */
  public grantConsume(grantee: IGrantable): Grant {
    return this.grantConsumeMessages(grantee);
  }
}
