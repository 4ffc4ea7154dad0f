/**
 * cdk-nag (AwsSolutions) findings the registry's design accepts, each acknowledged with its reason. They go through
 * aws-cdk-lib's own `Validations` (construct metadata), which cdk-nag 3 reads: the construct needs no cdk-nag at run
 * time, and an app without cdk-nag carries only the metadata.
 */
import { type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';

const acknowledge = (on: IConstruct, id: string, reason: string) => Validations.of(on).acknowledge({ id, reason });

/**
 * The partition as cdk-nag writes it in a finding id about an ARN the stack builds (`Stack.formatArn`, e.g. the
 * API's route ARNs): the literal (`aws`) when the stack renders one (a concrete region under
 * `@aws-cdk/core:enablePartitionLiterals`, a flag `cdk init` sets), else `<AWS::Partition>`.
 *
 * @example
 * partitionOf(stack); // 'aws' for env { region: 'eu-west-1' } with the flag; '<AWS::Partition>' without a region
 */
export function partitionOf(scope: IConstruct): string {
  const partition = Stack.of(scope).partition;
  return Token.isUnresolved(partition) ? '<AWS::Partition>' : partition;
}

/**
 * An AWS-managed policy as cdk-nag names it in an `AwsSolutions-IAM4` finding. `ManagedPolicy.fromAwsManagedPolicyName`
 * always formats the ARN with the `AWS::Partition` pseudo parameter, literals flag or not.
 */
const managedPolicy = (name: string) => `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${name}]`;

/**
 * @example
 * acknowledgeNagFindings(this, this.table, failureBucket);
 */
export function acknowledgeNagFindings(scope: IConstruct, table: TableV2, failureBucket: IBucket): void {
  acknowledge(scope, 'AwsSolutions-L1', 'The functions run on nodejs22.x, the runtime this product targets and tests against.');
  acknowledge(
    scope,
    managedPolicy('AWSLambdaBasicExecutionRole'),
    'The basic execution role only lets a function write its own logs; each function has its own role.',
  );
  acknowledge(
    scope,
    `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
    "The table grants cover this table's own indexes (the services index) and nothing else.",
  );
  acknowledge(
    failureBucket,
    'AwsSolutions-S1',
    'Only the stream mapping writes here (with the publisher role, visible in CloudTrail); a second bucket for access logs would need its own.',
  );
  acknowledge(
    scope,
    `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(failureBucket.node.defaultChild as CfnElement)}.Arn>/*]`,
    'The publisher may put failed batches as objects of any key, in this one bucket only (s3:PutObject, nothing else).',
  );
}

/**
 * The prober in a VPC: its execution role and the deploy-time lookup of DynamoDB's prefix list.
 *
 * @example
 * acknowledgeProberVpcFindings(this.prober, this.proberNetwork);
 */
export function acknowledgeProberVpcFindings(prober: IFunction, network: IConstruct): void {
  acknowledge(
    prober,
    managedPolicy('AWSLambdaVPCAccessExecutionRole'),
    'The AWS-managed policy Lambda documents for functions in a VPC: log writing plus the ENI actions (ec2:CreateNetworkInterface, Describe*, Delete*, Assign/Unassign*), which support no resource-level scoping, so an own policy would be the same with `*`.',
  );
  acknowledge(
    network,
    'AwsSolutions-IAM5[Resource::*]',
    'ec2:DescribeManagedPrefixLists (the deploy-time lookup of the DynamoDB prefix list id) supports no resource-level permissions; it is the only action of this policy.',
  );
  // AwsCustomResource runs on one provider function per stack (a SingletonFunction at the stack's root, whose id
  // is 'AWS' + its UUID without dashes).
  const provider = Stack.of(network).node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (provider) {
    acknowledge(
      provider,
      managedPolicy('AWSLambdaBasicExecutionRole'),
      "CDK's AwsCustomResource provider: the basic execution role only lets it write its own logs.",
    );
  }
}

/**
 * A route grant (`grantRegister`, `grantDiscover`, `grantAdmin`) on paths with a wildcard: acknowledged on the
 * grantee's principal, when it is a construct of the app (an imported role's policy is the caller's business).
 *
 * @example
 * acknowledgeRouteGrantFindings(this.api, gatewayRole, [{ method: 'GET', path: '/v1/services/*' + '/instances' }]);
 */
export function acknowledgeRouteGrantFindings(api: HttpApi, grantee: IGrantable, paths: ReadonlyArray<{ method: string; path: string }>): void {
  const principal: unknown = grantee.grantPrincipal;
  if (!Construct.isConstruct(principal)) return;
  const stack = Stack.of(api);
  // cdk-nag names the ARN as the template has it: `arn:aws:…` once the partition is a literal
  // (`@aws-cdk/core:enablePartitionLiterals` with a concrete region), `arn:<AWS::Partition>:…` otherwise.
  const partition = partitionOf(api);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const apiId = `<${stack.getLogicalId(api.node.defaultChild as CfnElement)}>`;
  for (const { method, path } of paths.filter((p) => p.path.includes('*'))) {
    acknowledge(
      principal,
      `AwsSolutions-IAM5[Resource::arn:${partition}:execute-api:${region}:${account}:${apiId}/$default/${method}${path}]`,
      'Scoped to one route of the registry API; the wildcard stands for instance ids (or service names for discover and admin grants).',
    );
  }
}
