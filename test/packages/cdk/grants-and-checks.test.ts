/** Grants on route ARNs, subscriber queues, alarms, and the offline checks: cdk-nag and CDK's own validation. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { App, Stack, Validations, type Environment } from 'aws-cdk-lib';
import { Annotations, Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceRegistry } from '@service-registry/cdk';

/**
 * The feature flags `cdk init` writes into a new app's cdk.json: the CLI copies its
 * lib/init-templates/.recommended-feature-flags.json (aws-cdk lib/commands/init/init.js,
 * `currentlyRecommendedAwsCdkLibFlags`). `@aws-cdk/core:enablePartitionLiterals` is the one that changes the
 * finding ids: with a concrete region, ARNs say `arn:aws:` instead of `arn:${AWS::Partition}:`.
 */
const cli = dirname(createRequire(import.meta.url).resolve('aws-cdk/package.json'));
const initFlags: Record<string, unknown> = JSON.parse(readFileSync(join(cli, 'lib/init-templates/.recommended-feature-flags.json'), 'utf8'));
const concreteEnv: Environment = { account: '123456789012', region: 'eu-west-1' };

/** `env: null` builds an environment-agnostic stack. */
function build(withNag = false, { context = {}, env = concreteEnv }: { context?: Record<string, unknown>; env?: Environment | null } = {}) {
  const app = new App({ context });
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', env ? { env } : {});
  // With a VPC, as a deployment that probes private addresses has (without one the synth warns).
  const registry = new ServiceRegistry(stack, 'Registry', { vpc: new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, flowLogs: { FlowLogs: {} } }) });
  const orders = new Role(stack, 'OrdersRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
  const gateway = new Role(stack, 'GatewayRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
  const admin = new Role(stack, 'AdminRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
  registry.grantRegister(orders, 'orders');
  registry.grantDiscover(gateway);
  registry.grantAdmin(admin);
  const queue = registry.addSubscriber('Gateway', { services: ['orders'] });
  queue.grantConsumeMessages(gateway);
  return { app, stack, registry, template: Template.fromStack(stack) };
}

const { stack, template } = build();

/** The Resource list of the execute-api statement of a role's policy, each rendered as JSON text. */
function invokeResources(roleId: string): string[] {
  const resources = new Capture();
  template.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: Match.stringLikeRegexp(`^${roleId}`) }],
    PolicyDocument: { Statement: Match.arrayWith([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources }]) },
  });
  // One route ARN is rendered as a single value, several as a list.
  const captured: unknown[] = (() => {
    try {
      return resources.asArray();
    } catch {
      return [resources.asObject()];
    }
  })();
  return captured.map((r) => JSON.stringify(r));
}

describe('grants', () => {
  it('lets a service write only its own instances, on the exact write routes', () => {
    const resources = invokeResources('OrdersRole');
    expect(resources).toHaveLength(6);
    for (const suffix of [
      '/PUT/v1/services/orders/instances',
      '/POST/v1/services/orders/heartbeats',
      '/PUT/v1/services/orders/instances/*',
      '/PATCH/v1/services/orders/instances/*',
      '/DELETE/v1/services/orders/instances/*',
      '/POST/v1/services/orders/instances/*/heartbeat',
    ]) {
      expect(resources.some((r) => r.includes(`/$default${suffix}`))).toBe(true);
    }
    expect(resources.join()).not.toMatch(/GET/);
  });

  it('lets a gateway read every service but write nothing', () => {
    const resources = invokeResources('GatewayRole');
    expect(resources.every((r) => r.includes('/GET/'))).toBe(true);
    expect(resources.some((r) => r.includes('/GET/v1/services/*/instances'))).toBe(true);
  });

  it('never grants a wildcard action', () => {
    // The query finds an action where there is one (so an empty answer below means something)...
    const invoke = { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.stringLikeRegexp('^execute-api:') })]) } };
    expect(Object.keys(template.findResources('AWS::IAM::Policy', { Properties: invoke })).length).toBeGreaterThan(0);
    // ...and none grants `*` or `<service>:*`, alone or in a list.
    for (const wildcard of [Match.exact('*'), Match.stringLikeRegexp(':\\*$')]) {
      for (const action of [wildcard, Match.arrayWith([wildcard])]) {
        const found = template.findResources('AWS::IAM::Policy', {
          Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: action })]) } },
        });
        expect(Object.keys(found)).toEqual([]);
      }
    }
  });

  it('makes a role given grantAdmin an admin in the functions', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ REGISTRY_ADMIN_PRINCIPALS: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('AdminRole'), 'Arn'] }) }),
      },
    });
  });
});

describe('addSubscriber', () => {
  it('routes the instance events of the chosen services and the protection events to a queue with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['service-registry'],
        'detail-type': Match.arrayWith(['Instance Registered', 'Instance Expired']),
        detail: { service: ['orders'] },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': Match.arrayWith(['Registry Protection Engaged', 'Registry Protection Released']) },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
  });

  /**
   * EventBridge's documented array semantics (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html):
   * a pattern field lists allowed values; when the event's field is an array, the pattern matches if the two
   * intersect. Only the exact-value subset the registry's rules use.
   */
  function matches(pattern: any, event: any): boolean {
    return Object.entries(pattern).every(([key, allowed]) => {
      const value = event?.[key];
      if (!Array.isArray(allowed)) return matches(allowed, value);
      return (Array.isArray(value) ? value : [value]).some((v) => allowed.includes(v));
    });
  }
  const resync = (services: string[]) => ({
    source: 'service-registry',
    'detail-type': 'Registry Resync Required',
    detail: { services, reason: 'publish-failed' },
  });
  const queueRules = (t: Template, queue: string) =>
    (Object.values(t.findResources('AWS::Events::Rule')) as any[])
      .filter((rule) => JSON.stringify(rule.Properties.Targets).includes(queue))
      .map((rule) => rule.Properties.EventPattern);

  it("routes a resync event only to a subscriber holding one of its services, so no queue learns other services' names", () => {
    // GIVEN the Gateway subscriber of 'orders' only
    const pattern = new Capture();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['service-registry'], 'detail-type': ['Registry Resync Required'], detail: { services: pattern } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryGatewaySubscriberQueue'), 'Arn'] } })],
    });
    expect(pattern.asArray()).toEqual(['orders']);
    // THEN of the queue's rules, exactly one takes a resync naming orders among others, and none one without it
    const rules = queueRules(template, 'RegistryGatewaySubscriberQueue');
    expect(rules.filter((r) => matches(r, resync(['billing', 'orders'])))).toHaveLength(1);
    expect(rules.filter((r) => matches(r, resync(['billing', 'payments'])))).toHaveLength(0);
    // AND protection events still reach it, whatever their shard
    expect(rules.filter((r) => matches(r, { source: 'service-registry', 'detail-type': 'Registry Protection Engaged', detail: { shard: 1 } }))).toHaveLength(1);
  });

  it('routes every resync event to a subscriber without a service filter', () => {
    const stack = new Stack(new App(), 'All');
    const registry = new ServiceRegistry(stack, 'Registry');
    registry.addSubscriber('Everything');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.exact({ source: ['service-registry'], 'detail-type': ['Registry Resync Required'] }),
    });
    const rules = queueRules(t, 'RegistryEverythingSubscriberQueue');
    expect(rules.filter((r) => matches(r, resync(['billing', 'payments'])))).toHaveLength(1);
  });

  it('fails when the service list is empty (EventBridge refuses an empty pattern array)', () => {
    const stack = new Stack(new App(), 'Empty');
    expect(() => new ServiceRegistry(stack, 'Registry').addSubscriber('None', { services: [] })).toThrow(/at least one service/);
  });
});

describe('operations', () => {
  it('alarms on publish failures, publisher errors, iterator age, API 5xx and 429s, and the prober', () => {
    const names = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    for (const id of ['PublishFailures', 'PublisherErrors', 'PublisherIteratorAge', 'Api5xx', 'ApiThrottled', 'ProberErrors', 'ProberDuration']) {
      expect(names.some((n) => n.includes(id))).toBe(true);
    }
  });

  it('throttles the API and keeps access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });
});

describe('offline checks', () => {
  it('passes CDK validation without warnings or errors', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  it.each([
    ['no feature flags, a concrete env', {}, concreteEnv],
    ['no feature flags, no env', {}, null],
    ['the flags of cdk init, a concrete env', initFlags, concreteEnv],
    ['the flags of cdk init, no env', initFlags, null],
  ])('passes the cdk-nag AWS Solutions checks with every acknowledgement explained (%s)', (_name, context, env) => {
    const { app } = build(true, { context, env });
    expect(() => app.synth()).not.toThrow();
  });

  it('names partition literals in its acknowledgements under the flags of cdk init with a concrete env', () => {
    expect(initFlags['@aws-cdk/core:enablePartitionLiterals']).toBe(true);
    const { stack } = build(false, { context: initFlags });
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies).toContain('arn:aws:execute-api:eu-west-1:123456789012:');
  });
});
