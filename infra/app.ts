/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). Optional settings come from context, e.g.
 * `npx cdk deploy -c vpcId=vpc-0abc… -c adminPrincipals=arn:aws:iam::123456789012:role/platform-admin -c retainTable=false`.
 * See infra/example-stack.ts for every context key.
 */
import { App } from 'aws-cdk-lib';
import { buildExampleStack } from './example-stack.js';

buildExampleStack(new App());
