/** cdk-nag (AwsSolutions) findings the registry's design accepts, each acknowledged with its reason. */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * @example
 * acknowledgeNagFindings(this, this.table, this.publisherDeadLetterQueue);
 */
export function acknowledgeNagFindings(scope: Construct, table: TableV2, deadLetterQueue: IQueue): void {
  const acknowledge = (on: Construct, id: string, reason: string) => Validations.of(on).acknowledge({ id, reason });
  acknowledge(scope, 'AwsSolutions-L1', 'The functions run on nodejs22.x, the runtime this product targets and tests against.');
  acknowledge(
    scope,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The basic execution role only lets a function write its own logs; each function has its own role.',
  );
  acknowledge(
    scope,
    `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
    "The table grants cover this table's own indexes (the services index) and nothing else.",
  );
  acknowledge(deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is the dead-letter destination of the stream mapping.');
}
