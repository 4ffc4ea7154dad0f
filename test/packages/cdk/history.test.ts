/** The change history's AWS pieces, proven offline: the writer, its own stream mapping, its grants, the bus archive. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { ServiceRegistry, type ServiceRegistryProps } from '@service-registry/cdk';
import { streamFilterPatterns } from '../../../lambdas/stream-filter.js';

function synth(props: ServiceRegistryProps = {}): Template {
  const stack = new Stack(new App(), 'Test');
  new ServiceRegistry(stack, 'Registry', props);
  return Template.fromStack(stack);
}

// GIVEN a registry with default props
const template = synth();
const functions = template.findResources('AWS::Lambda::Function') as Record<string, any>;
const writerId = Object.keys(functions).find((id) => id.startsWith('RegistryHistoryWriterFunction'))!;
const publisherId = Object.keys(functions).find((id) => id.startsWith('RegistryPublisherFunction'))!;
// The table stream's mappings (the prober's round queue has one of its own).
const mappings = (Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as any[]).filter((m) =>
  JSON.stringify(m.Properties.EventSourceArn).includes('StreamArn'),
);
const mappingOf = (functionId: string) => mappings.find((m) => m.Properties.FunctionName.Ref === functionId)?.Properties;

describe('the history writer', () => {
  it('is a function of its own with the table and a 30-day retention', () => {
    expect(writerId).toBeDefined();
    expect(functions[writerId].Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: expect.stringMatching(/^RegistryTable/) },
      REGISTRY_HISTORY_RETENTION_DAYS: '30',
    });
  });

  it('reads the stream through a mapping of its own, beside the publisher, with the same filter, bisect, bounded retries and an on-failure destination', () => {
    const writer = mappingOf(writerId);
    const publisher = mappingOf(publisherId);
    expect(mappings).toHaveLength(2);
    expect(writer).toBeDefined();
    expect(publisher).toBeDefined();
    expect(writer.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual(streamFilterPatterns);
    expect(writer).toMatchObject({
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21_600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(writer.DestinationConfig.OnFailure.Destination).toEqual(publisher.DestinationConfig.OnFailure.Destination); // the same S3 bucket
  });

  it('may only put items under HISTORY# partition keys (plus reading its stream), and put no events', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const roleId = functions[writerId].Properties.Role['Fn::GetAtt'][0];
    const actions = policies
      .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
    const streamReads = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];
    expect(actions.filter((a: string) => a.startsWith('dynamodb:') && !streamReads.includes(a)).sort()).toEqual(['dynamodb:PutItem']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'dynamodb:PutItem', Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['HISTORY#*'] } } }),
        ]),
      },
    });
    expect(actions).not.toContain('events:PutEvents');
  });

  it('takes its retention from historyRetention, and refuses one that is not whole days', () => {
    const custom = synth({ historyRetention: Duration.days(7) });
    custom.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ REGISTRY_HISTORY_RETENTION_DAYS: '7' }) } });
    expect(() => synth({ historyRetention: Duration.hours(36) })).toThrow(/historyRetention must be a whole number of days/);
  });

  it('expires history through the table TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
  });
});

describe('the history route', () => {
  it("is in discover grants: a service's readers may read its history, and nothing else's", () => {
    // GIVEN a role granted discovery of orders
    const stack = new Stack(new App(), 'Grants');
    const registry = new ServiceRegistry(stack, 'Registry');
    const role = new Role(stack, 'Reader', { assumedBy: new AccountRootPrincipal() });
    // WHEN
    registry.grantDiscover(role, 'orders');
    // THEN its policy names the history route of orders only
    const policies = JSON.stringify(
      Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }] } }),
    );
    expect(policies).toContain('/$default/GET/v1/services/orders/history');
    expect(policies).not.toContain('/$default/GET/v1/services/*/history');
  });
});

describe('the event archive', () => {
  it('archives the registry events of the bus for 30 days by default', () => {
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryEventBus'), 'Arn'] },
      EventPattern: { source: ['service-registry'] },
      RetentionDays: 30,
    });
  });

  it('keeps archived events as long as archive.retention says, or creates no archive with archive: false', () => {
    synth({ archive: { retention: Duration.days(90) } }).hasResourceProperties('AWS::Events::Archive', { RetentionDays: 90 });
    synth({ archive: false }).resourceCountIs('AWS::Events::Archive', 0);
  });
});
