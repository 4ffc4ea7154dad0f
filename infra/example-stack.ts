/**
 * The example deployment (`infra/app.ts`): the registry in a stack, configured from CDK context, with cdk-nag's
 * AWS Solutions checks. A function of the app so the tests synthesize exactly what `cdk synth` does.
 *
 * The prober's VPC, by context:
 * - `-c vpcId=vpc-…`: your VPC, looked up at synth (needs credentials and `CDK_DEFAULT_ACCOUNT`/`REGION`; the
 *   answer is cached in cdk.context.json). Use it when the instances to probe live there.
 * - `-c createVpc=true` (cdk.json's default): a new VPC with isolated subnets in two zones and no NAT gateway;
 *   the prober reaches DynamoDB through the gateway endpoint. Synthesizes offline; CI's `npx cdk synth -q` uses it.
 * - `-c createVpc=false` and no `vpcId`: no VPC; the prober reaches public addresses only (the synth warns).
 *
 * `-c dnsDomain=registry.internal` (cdk.json's default; empty to leave DNS out): with a VPC, a private hosted zone
 * for that domain in it, kept in step with the registry by the construct's `dns` option (SRV/A/AAAA records).
 *
 * `-c retainTable=false` deletes the table with the stack (default: retained). Switches read `true`/`false`,
 * `1`/`0`, `yes`/`no` in any case, like the functions' boolean variables (`flag` in lambdas/wiring/config.ts);
 * any other value fails the synth.
 */
import { type App, CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { FlowLogDestination, SubnetType, Vpc, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceRegistry } from '@service-registry/cdk';
import { flag } from '../lambdas/wiring/config.js';

export interface ExampleStack {
  readonly stack: Stack;
  readonly registry: ServiceRegistry;
  readonly vpc?: IVpc;
}

/**
 * CDK context as the record of strings `flag()` reads: `-c key=value` gives strings, cdk.json may give booleans or
 * numbers. So a context switch parses the one way every function and the local runtime parse booleans
 * (`true`/`false`, `1`/`0`, `yes`/`no`, any case), and anything else fails the synth naming the key.
 */
function contextRecord(app: App, keys: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(
    keys.map((key) => {
      const value: unknown = app.node.tryGetContext(key);
      return [key, value === undefined || value === null ? undefined : String(value)];
    }),
  );
}

/**
 * @example
 * const { stack } = buildExampleStack(new App({ context: { createVpc: 'true' } }));
 */
export function buildExampleStack(app: App): ExampleStack {
  // cdk-nag's AWS Solutions rules run on every synth; findings fail it unless acknowledged with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const context = (key: string): unknown => app.node.tryGetContext(key);
  const switches = contextRecord(app, ['createVpc', 'retainTable']);
  const vpcId = context('vpcId') as string | undefined;
  const stack = new Stack(app, (context('stackName') as string | undefined) ?? 'ServiceRegistry', {
    description: 'Serverless, event-driven service registry',
    // A VPC lookup needs a concrete account and region; without one the stack stays environment-agnostic.
    ...(vpcId && { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }),
  });
  let vpc: IVpc | undefined;
  if (vpcId) {
    vpc = Vpc.fromLookup(stack, 'Vpc', { vpcId });
  } else if (flag(switches, 'createVpc', false)) {
    vpc = new Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      flowLogs: { FlowLogs: { destination: FlowLogDestination.toCloudWatchLogs() } },
    });
  }
  const admins = String(context('adminPrincipals') ?? '')
    .split(',')
    .filter(Boolean);
  const expectedInstances = context('expectedInstances');
  const dnsDomain = String(context('dnsDomain') ?? '');
  const registry = new ServiceRegistry(stack, 'Registry', {
    adminPrincipals: admins,
    tableRemovalPolicy: flag(switches, 'retainTable', true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    ...(vpc && { vpc }),
    ...(vpc && dnsDomain && { dns: { vpc, domain: dnsDomain } }),
    ...(expectedInstances !== undefined && { expectedInstances: Number(expectedInstances) }),
  });
  new CfnOutput(stack, 'ApiUrl', { value: registry.apiUrl });
  new CfnOutput(stack, 'TableName', { value: registry.table.tableName });
  new CfnOutput(stack, 'EventBusName', { value: registry.eventBus.eventBusName });
  new CfnOutput(stack, 'PublisherFailureBucket', { value: registry.publisherFailureBucket.bucketName });
  return { stack, registry, ...(vpc && { vpc }) };
}
