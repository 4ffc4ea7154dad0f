/** The CDK side, proven offline: the template matches the shared table definition and route table. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { ServiceRegistry } from '@service-registry/cdk';
import { routes } from '../../../lambdas/routes.js';
import { createTableInput } from '../../../local/bootstrap-table.js';
import { streamFilterPatterns } from '../../../lambdas/stream-filter.js';
import { proberLockKey, protectionItemKey } from '../../../lambdas/table.js';
import { passesFilters } from '../../../local/event-pattern.js';

function synth(): Template {
  const app = new App();
  const stack = new Stack(app, 'Test');
  new ServiceRegistry(stack, 'Registry');
  return Template.fromStack(stack);
}

const template = synth();

describe('ServiceRegistry table', () => {
  it('creates the table the local bootstrap creates: keys, index, stream and TTL', () => {
    // GIVEN the table the local runtime creates
    const local = createTableInput('x');
    // THEN the template's has the same keys, index, stream and TTL (attribute definitions in any order)
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    const attributes = new Capture();
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: Match.exact(local.KeySchema),
      AttributeDefinitions: attributes,
      GlobalSecondaryIndexes: Match.exact(local.GlobalSecondaryIndexes),
      StreamSpecification: Match.exact({ StreamViewType: local.StreamSpecification.StreamViewType }),
      TimeToLiveSpecification: Match.exact({ AttributeName: 'ttl', Enabled: true }),
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    expect(new Set(attributes.asArray().map((a) => JSON.stringify(a)))).toEqual(new Set(local.AttributeDefinitions.map((a) => JSON.stringify(a))));
  });

  it('retains the table by default', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('bills on demand by default, with no capacity to scale', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { WriteProvisionedThroughputSettings: Match.absent() });
  });

  it('provisions auto-scaled capacity for the table and its index when asked to', () => {
    // GIVEN a registry with provisioned capacity
    const stack = new Stack(new App(), 'Provisioned');
    new ServiceRegistry(stack, 'Registry', {
      provisionedCapacity: { minWriteCapacity: 25, maxWriteCapacity: 200, maxReadCapacity: 100, targetUtilizationPercent: 60 },
    });
    const provisioned = Template.fromStack(stack);
    // THEN the table is provisioned: writes scale from 25 to 200 units, reads from 1 to 100, aiming at 60 %
    const writes = (min: number, max: number) => ({
      WriteCapacityAutoScalingSettings: {
        MinCapacity: min,
        MaxCapacity: max,
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 60 },
      },
    });
    const reads = (min: number, max: number) => ({
      ReadCapacityAutoScalingSettings: Match.objectLike({
        MinCapacity: min,
        MaxCapacity: max,
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 60 },
      }),
    });
    provisioned.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PROVISIONED',
      WriteProvisionedThroughputSettings: writes(25, 200),
      Replicas: [Match.objectLike({ ReadProvisionedThroughputSettings: reads(1, 100) })],
      // AND the services index scales on its own from 1 unit (it carries counter writes only, not heartbeats)
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'services', WriteProvisionedThroughputSettings: writes(1, 200) })],
    });
    provisioned.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'services', ReadProvisionedThroughputSettings: reads(1, 100) })],
        }),
      ],
    });
  });
});

describe('ServiceRegistry HTTP API', () => {
  it('has exactly the routes of the shared route table, IAM auth on each but the token routes, which take the bearer-token authorizer', () => {
    // GIVEN the route table, with at least one token route
    expect(routes.some((r) => r.auth === 'token')).toBe(true);
    // THEN one API route per entry (route keys are unique), each with its authorisation
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
    for (const route of routes) {
      const token = route.auth === 'token';
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: token ? 'CUSTOM' : 'AWS_IAM',
        AuthorizerId: token ? { Ref: Match.stringLikeRegexp('TokenAuthorizer') } : Match.absent(),
      });
    }
  });

  it('runs one arm64 nodejs22.x function per handler, with the table name only where needed', () => {
    const fns = template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
    expect(Object.keys(fns)).toHaveLength(new Set(routes.map((r) => r.handler)).size + 4); // + the prober, the publisher, the token authorizer and the history writer
    for (const fn of Object.values(fns) as any[]) expect(fn.Properties.Architectures).toEqual(['arm64']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REGISTRY_ALLOW_LOOPBACK: 'false', TABLE_NAME: Match.anyValue() }) },
    });
  });

  it('gives read routes no write permission on the table', () => {
    const statements = new Capture();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RegistryDiscoverInstancesFunctionServiceRole') }],
      PolicyDocument: { Statement: statements },
    });
    const actions = statements.asArray().flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions).toContain('dynamodb:Query');
    expect(actions.filter((a: string) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });
});

describe('ServiceRegistry prober', () => {
  it('runs every minute on arm64 at 128 MB, with a timeout of one round and its re-probes, and may write the table', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 90,
      MemorySize: 128,
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ REGISTRY_PROBE_INTERVAL_SECONDS: '10', REGISTRY_ALLOW_LOOPBACK: 'false' }) },
    });
  });

  it("queues the minute's later rounds in an encrypted queue whose messages invoke the prober one at a time", () => {
    // GIVEN the default registry (template) WHEN synthesised THEN the queue is SQS-encrypted, TLS-only, with a
    // visibility timeout of the prober's timeout and a dead-letter queue after two receives.
    const queues = template.findResources('AWS::SQS::Queue');
    const queueId = Object.keys(queues).find((id) => /^RegistryProberQueue/.test(id))!;
    const dlqId = Object.keys(queues).find((id) => /^RegistryProberDeadLetterQueue/.test(id))!;
    expect(queues[queueId]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 90,
      MessageRetentionPeriod: 300,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 2 },
    });
    expect(queues[dlqId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 86_400 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    // One message per invocation, with no maximum concurrency (which would keep five pollers on an idle queue).
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find((m: any) =>
      JSON.stringify(m.Properties.EventSourceArn).includes(queueId),
    ) as any;
    expect(mapping.Properties).toMatchObject({ BatchSize: 1, FunctionName: { Ref: expect.stringMatching(/^RegistryProberFunction/) } });
    expect(mapping.Properties.ScalingConfig).toBeUndefined();
    // The prober may send to its queue (SendMessageBatch is authorised by sqs:SendMessage) and knows its URL.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REGISTRY_PROBE_QUEUE_URL: { Ref: queueId } }) },
    });
    const sends = (Object.values(template.findResources('AWS::IAM::Policy')) as any[]).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('sqs:SendMessage'),
    );
    expect(sends).toHaveLength(1);
    expect(JSON.stringify(sends[0].Properties.Roles)).toMatch(/RegistryProberFunction/);
  });

  it('gives the prober the memory asked for, and fails on a size Lambda would refuse', () => {
    const stack = new Stack(new App(), 'Memory');
    new ServiceRegistry(stack, 'Registry', { proberMemory: 512 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Environment: { Variables: Match.objectLike({ REGISTRY_PROBE_QUEUE_URL: Match.anyValue() }) },
    });
    expect(() => new ServiceRegistry(new Stack(new App(), 'Small'), 'Registry', { proberMemory: 64 })).toThrow(
      /proberMemory must be a whole number of MB from 128/,
    );
  });

  it('in a VPC, schedules through a function outside it that only queues the rounds, so the prober needs no route to SQS', () => {
    const app = new App();
    const stack = new Stack(app, 'InVpcScheduler');
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    new ServiceRegistry(stack, 'Registry', { vpc });
    const tpl = Template.fromStack(stack);
    const fns = tpl.findResources('AWS::Lambda::Function');
    const schedulerId = Object.keys(fns).find((id) => /^RegistryProberSchedulerFunction/.test(id))!;
    const scheduler = fns[schedulerId]!.Properties;
    expect(scheduler.VpcConfig).toBeUndefined();
    expect(scheduler.Environment.Variables).toMatchObject({
      REGISTRY_PROBE_SCHEDULE_ONLY: 'true',
      REGISTRY_PROBE_QUEUE_URL: { Ref: expect.stringMatching(/^RegistryProberQueue/) },
    });
    tpl.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [schedulerId, 'Arn'] } })],
    });
    // The scheduler reads no table and may only send to the queue.
    const policies = (Object.values(tpl.findResources('AWS::IAM::Policy')) as any[]).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('ProberScheduler'),
    );
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat()));
    expect(actions.filter((a: string) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(actions).toContain('sqs:SendMessage');
  });

  it('splits probing across shards, one schedule per shard', () => {
    const app = new App();
    const stack = new Stack(app, 'Sharded');
    new ServiceRegistry(stack, 'Registry', { proberShards: 3 });
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')) as any[];
    expect(rules.map((r) => JSON.parse(r.Properties.Targets[0].Input))).toEqual([0, 1, 2].map((shard) => ({ shard, shards: 3 })));
  });

  it('puts only the prober in the VPC it is given', () => {
    const app = new App();
    const stack = new Stack(app, 'InVpc');
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new ServiceRegistry(stack, 'Registry', { vpc });
    const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const inVpc = Object.entries(fns)
      .filter(([, fn]: [string, any]) => fn.Properties.VpcConfig)
      .map(([id]) => id);
    expect(inVpc).toHaveLength(1);
    expect(inVpc[0]).toMatch(/^RegistryProberFunction/);
  });

  it('gives the health and OpenAPI functions no table access at all', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    for (const [id, fn] of Object.entries(fns) as Array<[string, any]>) {
      if (/^Registry(Health|OpenApi)Function/.test(id)) expect(fn.Properties.Environment.Variables).not.toHaveProperty('TABLE_NAME');
    }
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    expect(policies.some((p) => /Health|OpenApi/.test(JSON.stringify(p.Properties.Roles)))).toBe(false);
  });
});

describe('ServiceRegistry change events', () => {
  it('maps the stream to the publisher with the shared filter criteria, batch item failures and an on-failure destination', () => {
    const filters = new Capture();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^RegistryPublisherFunction') },
      FilterCriteria: { Filters: filters },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      ParallelizationFactor: 1,
      StartingPosition: 'LATEST',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    expect(filters.asArray().map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual(streamFilterPatterns);
  });

  it("passes the guard's state item of every prober shard (an sk prefix), and nothing else of the registry partition", () => {
    // Pinned literally, not only as "equals stream-filter.ts": the template must hold the prefix filter itself.
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: {
        Filters: Match.arrayWith([{ Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: ['REGISTRY'] }, sk: { S: [{ prefix: 'PROTECTION#' }] } } } }) }]),
      },
    });
    // And as the mapping evaluates it (the local stand-in's evaluator), on the keys the prober writes.
    const filters = new Capture();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^RegistryPublisherFunction') },
      FilterCriteria: { Filters: filters },
    });
    const patterns = filters.asArray().map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    const modify = (key: { pk: string; sk: string }) => ({ eventName: 'MODIFY', dynamodb: { Keys: { pk: { S: key.pk }, sk: { S: key.sk } }, NewImage: {} } });
    for (const shard of [0, 1, 7]) expect(passesFilters(patterns, modify(protectionItemKey(shard)))).toBe(true);
    expect(passesFilters(patterns, modify(proberLockKey(0)))).toBe(false);
    expect(passesFilters(patterns, modify({ pk: 'REGISTRY', sk: 'OTHER' }))).toBe(false);
  });

  it('creates a bus and lets only the publisher and the writing functions (fastPublish, test/packages/cdk/fast-publish.test.ts) put events on it', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const putsEvents = { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]) } };
    const roles = Object.values(template.findResources('AWS::IAM::Policy', { Properties: putsEvents })).map((p) => p.Properties.Roles[0].Ref as string);
    const writers = ['RegisterInstance', 'RegisterInstances', 'PatchInstance', 'DeregisterInstance'];
    expect(roles.map((r) => r.replace(/^Registry(\w+?)(Function)?ServiceRole.*$/, '$1')).sort()).toEqual(['Publisher', ...writers].sort());
  });
});

describe('Lambda code', () => {
  it('loads every function from the code prebuilt into the package (packages/cdk/lambda/<handler>), bundling nothing', () => {
    // GIVEN an app that does not copy assets, so the asset manifest names their sources
    const outdir = mkdtempSync(join(tmpdir(), 'sr-infra-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:disable-asset-staging': true } });
      const stack = new Stack(app, 'Assets');
      new ServiceRegistry(stack, 'Registry');
      // WHEN
      app.synth();
      // THEN one asset per handler module, each the prebuilt directory, loaded as index.handler
      const manifest = JSON.parse(readFileSync(join(outdir, 'Assets.assets.json'), 'utf8'));
      const sources = Object.values(manifest.files as Record<string, { source: { path: string; packaging?: string } }>)
        .filter((file) => file.source.packaging === 'zip')
        .map((file) => resolve(outdir, file.source.path));
      const lambdaDir = resolve(import.meta.dirname, '../../../packages/cdk/lambda');
      const handlers = [...new Set([...routes.map((r) => r.handler), 'prober', 'publisher', 'token-authorizer', 'history'])].sort();
      expect(sources.sort()).toEqual(handlers.map((h) => join(lambdaDir, h)));
      Template.fromStack(stack).allResourcesProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs22.x' });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
