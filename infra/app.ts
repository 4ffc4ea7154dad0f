/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). Optional settings come from context, e.g.
 * `npx cdk deploy -c adminPrincipals=arn:aws:iam::123456789012:role/platform-admin -c retainTable=false`.
 */
import { App, CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceRegistry } from './service-registry.js';

const app = new App();
// cdk-nag's AWS Solutions rules run on every synth; findings fail it unless acknowledged with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const stack = new Stack(app, app.node.tryGetContext('stackName') ?? 'ServiceRegistry', {
  description: 'Serverless, event-driven service registry',
});
const admins = String(app.node.tryGetContext('adminPrincipals') ?? '').split(',').filter(Boolean);
const registry = new ServiceRegistry(stack, 'Registry', {
  adminPrincipals: admins,
  tableRemovalPolicy: String(app.node.tryGetContext('retainTable')) === 'false' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
});
new CfnOutput(stack, 'ApiUrl', { value: registry.apiUrl });
new CfnOutput(stack, 'TableName', { value: registry.table.tableName });
new CfnOutput(stack, 'EventBusName', { value: registry.eventBus.eventBusName });
