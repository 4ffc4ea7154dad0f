/** The construct's `dns` option, proven offline: zone, event rule → queue → sync function, schedule, least privilege, cdk-nag. */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceRegistry, type RegistryDnsOptions } from '@service-registry/cdk';
import { DETAIL_TYPES } from '@service-registry/contracts';

function build(dns: (stack: Stack, vpc: Vpc) => RegistryDnsOptions, withNag = false) {
  const app = new App();
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, flowLogs: { FlowLogs: {} } });
  const registry = new ServiceRegistry(stack, 'Registry', { vpc, dns: dns(stack, vpc) });
  return { app, stack, registry, template: Template.fromStack(stack) };
}

// GIVEN a registry with DNS in a private zone it creates for its VPC
const { stack, registry, template } = build((_, vpc) => ({ vpc, domain: 'registry.internal' }));
const syncId = stack.getLogicalId(registry.dns!.syncFunction.node.defaultChild as never);
const syncRoleId = stack.getLogicalId(registry.dns!.syncFunction.role!.node.defaultChild as never);
const zoneId = stack.getLogicalId(registry.dns!.zone.node.defaultChild as never);
const queueId = stack.getLogicalId(registry.dns!.queue.node.defaultChild as never);

/** Every statement of the policies attached to the sync function's role. */
function syncStatements(t: Template, roleId: string): any[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('dns option', () => {
  it('creates a private hosted zone for the VPC', () => {
    template.hasResourceProperties('AWS::Route53::HostedZone', { Name: 'registry.internal.', VPCs: [Match.objectLike({ VPCId: Match.anyValue() })] });
  });

  it('routes every registry event type from the bus to the sync queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['service-registry'], 'detail-type': [...DETAIL_TYPES] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })],
    });
  });

  it('feeds the queue to the function in batches with a window, one invocation at a time', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: syncId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
    });
    const fn = template.findResources('AWS::Lambda::Function')[syncId]!;
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      HOSTED_ZONE_ID: { Ref: zoneId },
      REGISTRY_DNS_DOMAIN: 'registry.internal',
      REGISTRY_DNS_TTL_SECONDS: '5',
      TABLE_NAME: { Ref: stack.getLogicalId(registry.table.node.defaultChild as never) },
    });
    expect(fn.Properties.Environment.Variables.REGISTRY_PROBE_SHARDS).toBe('1');
  });

  it('keeps a dead-letter queue and a visibility timeout of six function timeouts', () => {
    const queue = template.findResources('AWS::SQS::Queue')[queueId]!;
    expect(queue.Properties.VisibilityTimeout).toBe(720);
    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [stack.getLogicalId(registry.dns!.deadLetterQueue.node.defaultChild as never), 'Arn'] },
      maxReceiveCount: 10,
    });
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('reconciles every five minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [syncId, 'Arn'] } })],
    });
  });

  it('lets the function change and list record sets of its zone only, and read the table only', () => {
    const statements = syncStatements(template, syncRoleId);
    const route53 = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('route53:')));
    expect(route53).toHaveLength(1);
    expect([route53[0].Action].flat().sort()).toEqual(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets']);
    expect(JSON.stringify(route53[0].Resource)).toContain(`"Ref":"${zoneId}"`);
    expect(JSON.stringify(route53[0].Resource)).toContain(':route53:::hostedzone/');
    const dynamo = statements
      .flatMap((s) => [s.Action].flat())
      .filter((a: string) => a.startsWith('dynamodb:'))
      .sort();
    expect(dynamo).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('uses an existing zone as given, scoping the grant to its id', () => {
    const given = build((s) => ({
      zone: HostedZone.fromHostedZoneAttributes(s, 'Zone', { hostedZoneId: 'Z0123456789ABC', zoneName: 'corp.example' }),
      domain: 'sd.corp.example',
      ttl: Duration.seconds(10),
    }));
    given.template.resourceCountIs('AWS::Route53::HostedZone', 0);
    const role = given.stack.getLogicalId(given.registry.dns!.syncFunction.role!.node.defaultChild as never);
    const route53 = syncStatements(given.template, role).find((s) => [s.Action].flat().includes('route53:ChangeResourceRecordSets'));
    expect(JSON.stringify(route53.Resource)).toContain(':route53:::hostedzone/Z0123456789ABC');
    const fnId = given.stack.getLogicalId(given.registry.dns!.syncFunction.node.defaultChild as never);
    expect(given.template.findResources('AWS::Lambda::Function')[fnId]!.Properties.Environment.Variables).toMatchObject({
      HOSTED_ZONE_ID: 'Z0123456789ABC',
      REGISTRY_DNS_DOMAIN: 'sd.corp.example',
      REGISTRY_DNS_TTL_SECONDS: '10',
    });
  });

  it('fails the synth without a zone or a VPC, and for a domain outside the zone', () => {
    expect(() => build(() => ({}))).toThrow(/give `zone`/);
    expect(() =>
      build((s) => ({ zone: HostedZone.fromHostedZoneAttributes(s, 'Zone', { hostedZoneId: 'Z1', zoneName: 'corp.example' }), domain: 'other.example' })),
    ).toThrow(/not in the zone/);
  });

  it('adds nothing without the option', () => {
    const app = new App();
    const plain = new Stack(app, 'Plain');
    const r = new ServiceRegistry(plain, 'Registry');
    expect(r.dns).toBeUndefined();
    Template.fromStack(plain).resourceCountIs('AWS::Route53::HostedZone', 0);
  });

  it('passes the cdk-nag AWS Solutions checks and CDK validation', () => {
    const { app, stack: nagged } = build((_, vpc) => ({ vpc }), true);
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(nagged).hasNoError('*', Match.anyValue());
  });
});
