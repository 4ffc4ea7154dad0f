/**
 * The AWS behaviour the registry relies on, pinned in the synthesized template (nothing here can be deployed):
 * admin grants, the prober's VPC path, the stage throttle and its alarm, least privilege per function, the
 * prober's async invocation, and the stream's failure destination and alarms.
 */
import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { AccountPrincipal, ArnPrincipal, Role, ServicePrincipal, User, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { buildExampleStack } from '../../../infra/example-stack.js';
import { ServiceRegistry, type ServiceRegistryProps } from '@service-registry/cdk';
import { stageThrottle } from '../../../packages/cdk/src/throttle.js';
import { routes } from '../../../lambdas/routes.js';

const offline = () => new App();

function build(props: ServiceRegistryProps = {}, withVpc = false) {
  const app = offline();
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = withVpc ? new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) : undefined;
  const registry = new ServiceRegistry(stack, 'Registry', { ...props, ...(vpc && { vpc }) });
  return { stack, registry, vpc, template: () => Template.fromStack(stack) };
}

/** Logical id of the function of a route handler (or the prober / publisher). */
function functionId(template: Template, idPrefix: string): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith(`Registry${idPrefix}Function`));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

/** Every action granted to a function's role. */
function actionsOf(template: Template, fnId: string): string[] {
  const fn = template.findResources('AWS::Lambda::Function')[fnId] as any;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
  return policies
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
}

const envOf = (template: Template, fnId: string) => (template.findResources('AWS::Lambda::Function')[fnId] as any).Properties.Environment.Variables;

describe('grantAdmin (issue 11.2)', () => {
  const grantee = (principal: any): IGrantable => ({ grantPrincipal: principal });

  it.each([
    ['an IAM user', (stack: Stack) => new User(stack, 'Someone')],
    ['a service principal', () => grantee(new ServicePrincipal('ecs-tasks.amazonaws.com'))],
    ['an account principal', () => grantee(new AccountPrincipal('123456789012'))],
    ['an ARN principal, even of a role', () => grantee(new ArnPrincipal('arn:aws:iam::123456789012:role/admin'))],
  ])('fails at synth for %s, naming what to pass instead', (_name, make) => {
    const { stack, registry } = build();
    expect(() => registry.grantAdmin(make(stack))).toThrow(/is not an IAM role.*Role\.fromRoleArn/);
  });

  it('keeps the path of an imported IAM Identity Center role ARN (the handlers match account and role name)', () => {
    const { stack, registry, template } = build();
    const sso = 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef';
    registry.grantAdmin(Role.fromRoleArn(stack, 'Sso', sso));
    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REGISTRY_ADMIN_PRINCIPALS: sso }) },
    });
  });

  it('passes the ARN of a role of the app, path included, through Fn::GetAtt', () => {
    const { stack, registry, template } = build();
    registry.grantAdmin(new Role(stack, 'Platform', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'), path: '/teams/platform/' }));
    template().hasResourceProperties('AWS::IAM::Role', { Path: '/teams/platform/' });
    template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REGISTRY_ADMIN_PRINCIPALS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Platform'), 'Arn'] } }) },
    });
  });

  it('fails when an adminPrincipals entry is not a role ARN', () => {
    expect(() => build({ adminPrincipals: ['arn:aws:iam::123456789012:user/alice'] })).toThrow(/adminPrincipals: .* is not an IAM role ARN/);
    expect(() => build({ adminPrincipals: ['arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1'] })).not.toThrow();
  });
});

describe('the prober in a VPC (issue 11.3)', () => {
  const inVpc = build({}, true);
  const template = inVpc.template();

  it('adds a DynamoDB gateway endpoint to the route tables of the prober subnets', () => {
    const routeTables = new Capture();
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.dynamodb$')])] },
      RouteTableIds: routeTables,
    });
    expect(routeTables.asArray().length).toBeGreaterThanOrEqual(2);
  });

  it('adds no endpoint when told the VPC has one', () => {
    build({ dynamoDbGatewayEndpoint: false }, true).template().resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it('sets REGISTRY_ALLOW_CIDRS to the VPC CIDR on the registering functions (native and Eureka) and the prober, and on no other function', () => {
    for (const id of ['RegisterInstance', 'EurekaV2Register', 'Prober']) {
      expect(envOf(template, functionId(template, id)).REGISTRY_ALLOW_CIDRS).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Vpc/), 'CidrBlock'] });
    }
    const withCidrs = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, fn]: [string, any]) => fn.Properties.Environment?.Variables?.REGISTRY_ALLOW_CIDRS)
      .map(([id]) => id.replace(/Function.*$/, ''));
    expect(withCidrs.sort()).toEqual(['RegistryEurekaV2Register', 'RegistryProber', 'RegistryRegisterInstance']);
  });

  it('lets the prober security group reach only the allowed CIDRs (TCP) and DynamoDB (443 to its prefix list)', () => {
    const { template: t } = build({ allowedCidrs: ['10.20.0.0/16', 'fd00:1::/64'] }, true);
    const tpl = t();
    const egress = new Capture();
    tpl.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Registry prober'), SecurityGroupEgress: egress });
    // A rule whose peer is only known at deploy time is a resource of its own.
    const standalone = Object.values(tpl.findResources('AWS::EC2::SecurityGroupEgress')).map((r: any) => r.Properties);
    expect(standalone.every((r) => JSON.stringify(r.GroupId).includes('ProberNetworkSecurityGroup'))).toBe(true);
    const rules = [...egress.asArray(), ...standalone];
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ CidrIp: '10.20.0.0/16', IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 }),
        expect.objectContaining({ CidrIpv6: 'fd00:1::/64', IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 }),
        expect.objectContaining({
          DestinationPrefixListId: { 'Fn::GetAtt': [expect.stringMatching(/DynamoDbPrefixList/), 'PrefixLists.0.PrefixListId'] },
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
        }),
      ]),
    );
    expect(rules).toHaveLength(3);
    expect(JSON.stringify(rules)).not.toContain('0.0.0.0/0');
    // The prefix list is DynamoDB's, read at deploy time (CloudFormation has no attribute for it).
    const lookup = JSON.stringify(tpl.findResources('Custom::AWS'));
    for (const part of ['\\"service\\":\\"EC2\\"', 'describeManagedPrefixLists', 'prefix-list-name', 'com.amazonaws.', '.dynamodb'])
      expect(lookup).toContain(part);
    expect(envOf(tpl, functionId(tpl, 'RegisterInstance')).REGISTRY_ALLOW_CIDRS).toBe('10.20.0.0/16,fd00:1::/64');
  });

  it('fails when an allowedCidrs entry is not a CIDR', () => {
    expect(() => build({ allowedCidrs: ['10.0.0.0/33'] }, true)).toThrow(/allowedCidrs: '10\.0\.0\.0\/33' is not a CIDR/);
  });

  it('puts the prober in the VPC with no managed-policy or wildcard finding left unexplained (cdk-nag)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.objectLike({ SecurityGroupIds: Match.anyValue() }) });
    Annotations.fromStack(inVpc.stack).hasNoWarning('*', Match.anyValue());
  });

  it('warns at synth that private addresses cannot be probed when there is no VPC', () => {
    const { stack } = build();
    Template.fromStack(stack);
    Annotations.fromStack(stack).hasWarning('/Test/Registry', Match.stringLikeRegexp('cannot probe instances on private addresses'));
  });
});

describe('the stage throttle (issue 11.4)', () => {
  it('is sized from expectedInstances: 2 × instances / heartbeat interval, burst twice that', () => {
    expect(stageThrottle(5_000, 10)).toEqual({ rateLimit: 1_000, burstLimit: 2_000 });
    build({ expectedInstances: 20_000 })
      .template()
      .hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 4_000, ThrottlingBurstLimit: 8_000 },
      });
    build({ expectedInstances: 20_000, heartbeatInterval: Duration.seconds(60) })
      .template()
      .hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 667, ThrottlingBurstLimit: 1_334 },
      });
  });

  it('warns when the throttle is above the default account quota of 10,000 requests/s', () => {
    const { stack } = build({ expectedInstances: 60_000 });
    Annotations.fromStack(stack).hasWarning('/Test/Registry', Match.stringLikeRegexp('above API Gateway.s default account quota'));
  });

  it('fails when expectedInstances is not a positive integer', () => {
    expect(() => build({ expectedInstances: 0 })).toThrow(/expectedInstances must be a positive integer/);
  });

  it('counts 429s from the access log, in HTTP API context variables, and alarms on them', () => {
    const template = build().template();
    const format = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: { DestinationArn: Match.anyValue(), Format: format } });
    const fields = JSON.parse(format.asString());
    expect(fields).toMatchObject({ status: '$context.status', routeKey: '$context.routeKey', requestId: '$context.requestId' });
    expect(format.asString()).not.toContain('resourcePath'); // a REST API variable, empty for HTTP APIs
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'ServiceRegistry', MetricName: 'ThrottledRequests', MetricValue: '1' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ServiceRegistry',
      MetricName: 'ThrottledRequests',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe("the read functions share the prober's settings (lambdas/wiring/config.ts loadConfig)", () => {
  const template = build({ proberShards: 3, probeInterval: Duration.seconds(5) }).template();
  const settings = {
    REGISTRY_PROBE_SHARDS: '3',
    REGISTRY_PROBE_INTERVAL_SECONDS: '5',
    REGISTRY_PROTECTION_LEASE_SHARE: '0.15',
    REGISTRY_PROTECTION_MIN_INSTANCES: '10',
    REGISTRY_PROTECTION_MAX_SECONDS: '900',
  };

  it.each(['DiscoverInstances', 'GetInstance'])('gives %s the shard count, round interval and lease guard of the prober', (id) => {
    // A read finds a service's guard state in the item of shardOf(service, REGISTRY_PROBE_SHARDS).
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ...settings, TABLE_NAME: { Ref: Match.stringLikeRegexp('^RegistryTable') } }) },
    });
    expect(envOf(template, functionId(template, id))).toMatchObject(settings);
  });

  it('gives every function that uses the table the very values the prober gets', () => {
    const prober = envOf(template, functionId(template, 'Prober'));
    expect(prober).toMatchObject(settings);
    const names = Object.keys(settings);
    // One function per handler module, named after the first route that uses it.
    const firstRouteOf = new Map<string, string>();
    for (const r of routes) if (r.table !== 'none' && !firstRouteOf.has(r.handler)) firstRouteOf.set(r.handler, r.id);
    for (const id of firstRouteOf.values()) {
      const env = envOf(template, functionId(template, id));
      expect([id, Object.fromEntries(names.map((n) => [n, env[n]]))]).toEqual([id, Object.fromEntries(names.map((n) => [n, prober[n]]))]);
    }
  });

  it('runs one schedule per shard, each telling the prober its shard of the same count', () => {
    const inputs = Object.values(template.findResources('AWS::Events::Rule'))
      .flatMap((rule: any) => rule.Properties.Targets ?? [])
      .filter((target: any) => target.Input)
      .map((target: any) => JSON.parse(target.Input));
    expect(inputs.sort((a, b) => a.shard - b.shard)).toEqual([0, 1, 2].map((shard) => ({ shard, shards: 3 })));
  });

  it('fails when the shard count is one the prober would refuse', () => {
    expect(() => build({ proberShards: 0 })).toThrow(/proberShards must be an integer from 1 to 1000/);
    expect(() => build({ proberShards: 1.5 })).toThrow(/proberShards/);
  });
});

// The route functions' grants are checked against the commands their handlers send: test/packages/cdk/table-access.test.ts.
describe('least privilege per function (issue 11.7)', () => {
  const template = build({}, true).template();

  it('grants no function Scan, batch or transaction actions, and the publisher only the update of items in service partitions', () => {
    const all = (Object.values(template.findResources('AWS::IAM::Policy')) as any[]).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()),
    );
    expect(all.filter((a: string) => /dynamodb:(Scan|Batch|Transact|PartiQL|\*)/.test(a))).toEqual([]);
    const publisher = actionsOf(template, functionId(template, 'Publisher')).filter((a) => a.startsWith('dynamodb:'));
    // The stream's read actions, and `UpdateItem` for the service counters it derives from the stream.
    expect(publisher.sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:UpdateItem',
    ]);
    // AND that update only on items whose partition key is a service's (`SVC#…`): never tokens, locks or history.
    const roleId = (template.findResources('AWS::Lambda::Function')[functionId(template, 'Publisher')] as any).Properties.Role['Fn::GetAtt'][0];
    const updates = (Object.values(template.findResources('AWS::IAM::Policy')) as any[])
      .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('dynamodb:UpdateItem'));
    expect(updates).toHaveLength(1);
    expect(updates[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SVC#*'] } });
  });

  it("grants the prober exactly the actions of the commands its stores build (it extends the route functions' store)", () => {
    const commandToAction: Record<string, string> = { Get: 'GetItem', Query: 'Query', Update: 'UpdateItem', Delete: 'DeleteItem', Put: 'PutItem' };
    const dir = new URL('../../../lambdas/adapters/', import.meta.url);
    const built = new Set<string>();
    for (const file of ['dynamodb-store.ts', 'dynamodb-prober-store.ts']) {
      for (const [, command] of readFileSync(new URL(file, dir), 'utf8').matchAll(/new (\w+)Command\(/g)) built.add(commandToAction[command!] ?? command!);
    }
    const granted = actionsOf(template, functionId(template, 'Prober')).filter((a) => a.startsWith('dynamodb:'));
    expect(granted.map((a) => a.slice('dynamodb:'.length)).sort()).toEqual([...built].sort());
  });
});

describe("the prober's async invocation (issue 10.6)", () => {
  const template = build().template();

  it('is never retried and is dropped after 60 s, by Lambda and by the EventBridge target', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^RegistryProberFunction') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
  });
});

describe('stream failures are kept and alarmed (issue 10.8)', () => {
  const template = build().template();

  it('sends batches the mapping gives up on to an S3 bucket, where Lambda keeps the records themselves', () => {
    const destination = new Capture();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: destination } },
    });
    expect(destination.asObject()).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RegistryPublisherFailureBucket/), 'Arn'] });
  });

  it('keeps the bucket private, encrypted, SSL-only, retained and expiring after 90 days', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  // Lambda's documentation of S3 on-failure destinations for stream sources: the execution role needs s3:PutObject
  // and s3:ListBucket (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
  it('lets the publisher put objects in the bucket and list it, as Lambda requires of an S3 destination, and nothing more', () => {
    const s3 = actionsOf(template, functionId(template, 'Publisher')).filter((a) => a.startsWith('s3:'));
    expect(s3.sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
    const bucket = { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegistryPublisherFailureBucket'), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RegistryPublisherFunctionServiceRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [bucket, '/*']] } },
          { Action: 's3:ListBucket', Effect: 'Allow', Resource: bucket },
        ]),
      },
    });
  });

  it("alarms on the publisher's PublishFailures metric (batch item failures never count as Lambda errors) and on iterator age", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ServiceRegistry',
      MetricName: 'PublishFailures',
      Dimensions: [{ Name: 'service', Value: 'service-registry' }],
      Statistic: 'Sum',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Threshold: 60_000 });
  });
});

describe('the example app (infra/app.ts)', () => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8'));

  it('creates a VPC for the prober by default (cdk.json), offline, and passes cdk-nag', () => {
    const app = new App({ context: { ...cdkJson.context } });
    const { stack } = buildExampleStack(app);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.anyValue() });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    expect(() => app.synth()).not.toThrow();
  });

  it('sizes the throttle from -c expectedInstances', () => {
    const { stack } = buildExampleStack(new App({ context: { createVpc: 'false', expectedInstances: '20000' } }));
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 4_000, ThrottlingBurstLimit: 8_000 },
    });
  });

  it('looks a VPC up by -c vpcId (with the account and region of the CLI)', () => {
    process.env.CDK_DEFAULT_ACCOUNT = '123456789012';
    process.env.CDK_DEFAULT_REGION = 'eu-west-1';
    try {
      const app = new App({ context: { vpcId: 'vpc-0123456789abcdef0' } });
      const { stack, vpc } = buildExampleStack(app);
      expect(stack.account).toBe('123456789012');
      expect(vpc).toBeDefined();
    } finally {
      delete process.env.CDK_DEFAULT_ACCOUNT;
      delete process.env.CDK_DEFAULT_REGION;
    }
  });

  it.each([
    ['false', 'Delete'],
    ['FALSE', 'Delete'],
    ['0', 'Delete'],
    [' no ', 'Delete'],
    ['true', 'Retain'],
    ['Yes', 'Retain'],
    [undefined, 'Retain'],
  ])('reads -c retainTable=%s as every function reads a boolean (flag): table %s', (value, policy) => {
    const { stack } = buildExampleStack(new App({ context: { createVpc: 'false', ...(value !== undefined && { retainTable: value }) } }));
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: policy, UpdateReplacePolicy: policy });
  });

  it.each([
    ['1', 1],
    ['YES', 1],
    ['False', 0],
    ['no', 0],
    [false, 0],
    [true, 1],
  ])('reads -c createVpc=%s the same way: %s VPC', (value, vpcs) => {
    const { stack } = buildExampleStack(new App({ context: { createVpc: value } }));
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPC', vpcs);
  });

  it('fails the synth on a switch it cannot read, naming it, instead of taking it for false', () => {
    expect(() => buildExampleStack(new App({ context: { createVpc: 'ture' } }))).toThrow(/createVpc must be one of true, false, 1, 0, yes, no/);
    expect(() => buildExampleStack(new App({ context: { createVpc: 'false', retainTable: 'flase' } }))).toThrow(/retainTable must be one of/);
  });

  it('runs without a VPC when -c createVpc=false, and says so', () => {
    const { stack } = buildExampleStack(new App({ context: { createVpc: 'false' } }));
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPC', 0);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('cannot probe instances on private addresses'));
  });
});
