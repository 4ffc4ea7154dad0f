/**
 * The constructs `ServiceRegistry` is made of, used on their own and through it: `RegistryFunction` (shared function
 * defaults, `bindTable`), `RegistrySubscriber` (`addSubscriber`), `onInstanceChange`, and the construct ids that
 * are API (a renamed id replaces a deployed table, queue or log group).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { RegistryFunction, RegistrySubscriber, ServiceRegistry } from '@service-registry/cdk';

const role = (stack: Stack, id: string) => new Role(stack, id, { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });

describe('RegistryFunction', () => {
  // GIVEN a stack with a table and one function
  const stack = new Stack(new App(), 'Fn');
  const table = new TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const reader = new RegistryFunction(stack, 'ReaderFunction', { handler: 'discover', logRetention: RetentionDays.ONE_WEEK });
  // WHEN it is bound to the table with two actions, and a second one with a leading-key prefix
  reader.bindTable(table, ['dynamodb:Query', 'dynamodb:GetItem']);
  const writer = new RegistryFunction(stack, 'WriterFunction', { handler: 'history', timeout: Duration.seconds(30), environment: { EXTRA: '1' } });
  writer.bindTable(table, ['dynamodb:PutItem'], { leadingKeyPrefix: 'HISTORY#' });
  const template = Template.fromStack(stack);

  it('runs the prebuilt code on nodejs22.x, arm64, 256 MB, with a 10 s timeout by default and the shared variables', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 10,
      Handler: 'index.handler',
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: Match.stringLikeRegexp('^Table') },
          POWERTOOLS_SERVICE_NAME: 'service-registry',
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          REGISTRY_ADMIN_PRINCIPALS: '',
          REGISTRY_ALLOW_LOOPBACK: 'false',
        },
      },
    });
  });

  it('gives each function its own log group, a sibling named after it, with the retention asked for', () => {
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup')).sort()).toEqual([
      expect.stringMatching(/^ReaderLogs/),
      expect.stringMatching(/^WriterLogs/),
    ]);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  it('sets TABLE_NAME and grants exactly the given actions on the table, together', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ReaderFunctionServiceRole') }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['dynamodb:Query', 'dynamodb:GetItem'],
            Effect: 'Allow',
            // A table without indexes: the table's ARN alone.
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Table'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('limits the grant to items under the leading-key prefix, on the table alone, when given one', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^WriterFunctionServiceRole') }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'dynamodb:PutItem',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Table'), 'Arn'] },
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['HISTORY#*'] } },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 30,
      Environment: { Variables: Match.objectLike({ EXTRA: '1', TABLE_NAME: Match.anyValue() }) },
    });
  });

  it('sets the variable alone, with no policy, when bound with no actions', () => {
    const other = new Stack(new App(), 'NoActions');
    const t = new TableV2(other, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    new RegistryFunction(other, 'HealthFunction', { handler: 'health' }).bindTable(t, []);
    const result = Template.fromStack(other);
    result.resourceCountIs('AWS::IAM::Policy', 0);
    result.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue() }) } });
  });

  it('fails when the prebuilt code of the handler is missing, saying how to build it', () => {
    const other = new Stack(new App(), 'Missing');
    expect(() => new RegistryFunction(other, 'NopeFunction', { handler: 'no-such-handler' })).toThrow(
      /prebuilt code of 'no-such-handler' is missing.*npm run build/,
    );
  });
});

describe('RegistrySubscriber', () => {
  // GIVEN a bus, WHEN a subscriber of one service is made on its own
  const stack = new Stack(new App(), 'Sub');
  const eventBus = new EventBus(stack, 'Bus');
  const subscriber = new RegistrySubscriber(stack, 'OrdersQueue', { eventBus, services: ['orders'] });
  const consumer = role(stack, 'Consumer');
  subscriber.grantConsume(consumer);
  const template = Template.fromStack(stack);

  it('is the queue itself, with a dead-letter queue after five receives', () => {
    expect(subscriber).toBeInstanceOf(Queue);
    expect(subscriber.deadLetterQueue?.queue).toBe(subscriber.deadLetters);
    expect(subscriber.deadLetterQueue?.maxReceiveCount).toBe(5);
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 4 * 86_400,
      VisibilityTimeout: 30,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersDeadLetterQueue'), 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
  });

  it('is fed by three rules on the bus: instance, protection and resync events, with the default source', () => {
    expect(subscriber.rules).toHaveLength(3);
    const target = [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersQueue'), 'Arn'] } })];
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: { source: ['service-registry'], 'detail-type': Match.arrayWith(['Instance Registered']), detail: { service: ['orders'] } },
      Targets: target,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['service-registry'], 'detail-type': Match.arrayWith(['Registry Protection Engaged']) },
      Targets: target,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['service-registry'], 'detail-type': ['Registry Resync Required'], detail: { services: ['orders'] } },
      Targets: target,
    });
  });

  it('grants a consumer exactly the SQS actions of a change feed, on this queue', () => {
    const actions = new Capture();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Consumer') }],
      PolicyDocument: { Statement: [{ Action: actions, Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersQueue'), 'Arn'] } }] },
    });
    expect([...actions.asArray()].sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
  });

  it('fails when services is an empty list', () => {
    expect(() => new RegistrySubscriber(stack, 'NoneQueue', { eventBus, services: [] })).toThrow(
      /RegistrySubscriber 'None': services must name at least one service/,
    );
  });
});

describe('ServiceRegistry.addSubscriber', () => {
  it('returns a RegistrySubscriber that is still the queue callers used to get (grantConsumeMessages keeps working)', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Add');
    const registry = new ServiceRegistry(stack, 'Registry');
    const gateway = role(stack, 'Gateway');
    // WHEN
    const subscriber = registry.addSubscriber('Gateway', { services: ['orders'] });
    subscriber.grantConsumeMessages(gateway);
    // THEN
    expect(subscriber).toBeInstanceOf(RegistrySubscriber);
    expect(subscriber).toBeInstanceOf(Queue);
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^RegistryEventBus') },
      Description: 'Registry change events for subscriber Gateway',
    });
  });
});

describe('ServiceRegistry.onInstanceChange', () => {
  // GIVEN a registry and a function of the app
  const stack = new Stack(new App(), 'On');
  const registry = new ServiceRegistry(stack, 'Registry', { eventSource: 'acme.registry' });
  const audit = new RegistryFunction(stack, 'AuditFunction', { handler: 'health' });
  // WHEN
  const rule = registry.onInstanceChange('OrdersToAudit', new LambdaFunction(audit), { services: ['orders', 'payments'] });
  const template = Template.fromStack(stack);

  it("sends the chosen services' instance events on the registry's bus, with its source, to the target", () => {
    expect(rule.node.path).toBe('On/Registry/OrdersToAudit');
    const detailTypes = new Capture();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^RegistryEventBus') },
      Description: 'Registry instance events for OrdersToAudit',
      EventPattern: { source: ['acme.registry'], 'detail-type': detailTypes, detail: { service: ['orders', 'payments'] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditFunction'), 'Arn'] } })],
    });
    expect(detailTypes.asArray().length).toBeGreaterThan(0);
    expect(detailTypes.asArray().every((t: string) => t.startsWith('Instance'))).toBe(true);
  });

  it('lets EventBridge invoke the target', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditFunction'), 'Arn'] },
    });
  });

  it('fails when services is an empty list', () => {
    expect(() => registry.onInstanceChange('Nothing', new LambdaFunction(audit), { services: [] })).toThrow(
      /onInstanceChange\('Nothing'\): services must name at least one service/,
    );
  });
});

describe('construct ids are API', () => {
  // The logical ids of the stateful resources of a deployed registry, as they were before the construct was split
  // into parts: a changed id would replace the table, a queue, the bucket or a log group.
  it('keeps the logical ids of the table, bus, archive, failure bucket, log groups and subscriber queues', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const registry = new ServiceRegistry(stack, 'Registry');
    // WHEN
    registry.addSubscriber('Gateway', { services: ['orders'] });
    const ids = Object.keys(Template.fromStack(stack).toJSON().Resources);
    // THEN
    expect(ids).toEqual(
      expect.arrayContaining([
        'RegistryTableDB777839',
        'RegistryEventBus16A190C9',
        'RegistryEventArchive341EFE4A',
        'RegistryApiAccessLogs223AD690',
        'RegistryProberLogsF7D6A6CD',
        'RegistryPublisherLogs39FD70DE',
        'RegistryHistoryWriterLogs370FFC21',
        'RegistryRegisterInstanceLogs1D7DD77E',
        'RegistryTokenAuthorizerLogsAAEEADCA',
        'RegistryProberSchedule27A71DC8',
        'RegistryGatewaySubscriberQueue10425399',
        'RegistryGatewaySubscriberDeadLetterQueueE46D098A',
        'RegistryGatewaySubscriberRule0149404F',
        'RegistryGatewaySubscriberProtectionRuleA9755D45',
        'RegistryGatewaySubscriberResyncRule6723D963',
      ]),
    );
    expect(ids.find((id) => id.startsWith('RegistryPublisherFailureBucket') && !id.includes('Policy'))).toMatch(/^RegistryPublisherFailureBucket[0-9A-F]{8}$/);
  });

  it('keeps the first prober schedule when the shard count changes, adding or removing only the others', () => {
    const scheduleIds = (proberShards: number) => {
      const stack = new Stack(new App(), 'Test');
      new ServiceRegistry(stack, 'Registry', { proberShards });
      return Object.keys(Template.fromStack(stack).findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(1 minute)' } })).sort();
    };
    const one = scheduleIds(1);
    expect(one).toEqual(['RegistryProberSchedule27A71DC8']);
    const three = scheduleIds(3);
    expect(three).toHaveLength(3);
    expect(three).toEqual(
      expect.arrayContaining([...one, expect.stringMatching(/^RegistryProberSchedule1/), expect.stringMatching(/^RegistryProberSchedule2/)]),
    );
  });
});
