/**
 * Bearer tokens in the synthesized template: the token routes (`auth: 'token'`) and only they sit behind the
 * registry's Lambda authorizer (REQUEST, payload 2.0, simple responses, Authorization header, 60 s cache); every
 * other route keeps IAM; the authorizer may only GetItem; grants leave token routes out and only `grantAdmin`
 * covers the token admin routes; cdk-nag still passes.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceRegistry } from '@service-registry/cdk';
import { routes } from '../../../lambdas/routes.js';

function build(withNag = false) {
  const app = new App();
  if (withNag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const registry = new ServiceRegistry(stack, 'Registry');
  const role = (id: string) => new Role(stack, id, { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
  registry.grantRegister(role('OrdersRole'), 'orders');
  registry.grantDiscover(role('GatewayRole'));
  registry.grantAdmin(role('AdminRole'));
  return { app, stack, registry, template: Template.fromStack(stack) };
}

// GIVEN a registry with a service, a gateway and an admin role granted
const { template, registry, stack } = build();
const tokenRoutes = routes.filter((r) => r.auth === 'token');
const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer') as Record<string, any>;
const apiRoutes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as any[];
const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];

/** The execute-api resources granted to a role, as strings (`…/$default/GET/v1/…`). */
function invokeResources(roleId: string): string[] {
  const policy = policies.find((p) => JSON.stringify(p.Properties.Roles).includes(roleId))!;
  const statement = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Action === 'execute-api:Invoke');
  return [statement.Resource].flat().map((r: any) => JSON.stringify(r));
}

describe('the bearer-token authorizer', () => {
  it('is one REQUEST authorizer with payload 2.0, simple responses, the Authorization header and a 60 s cache', () => {
    // THEN
    expect(tokenRoutes.length).toBeGreaterThan(0); // the connectors' routes
    expect(Object.values(authorizers).map((a) => a.Properties)).toEqual([
      expect.objectContaining({
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerResultTtlInSeconds: 60,
      }),
    ]);
  });

  it('guards exactly the token routes; every other route keeps IAM', () => {
    const [authorizerId] = Object.keys(authorizers);
    const byKey = new Map(apiRoutes.map((r) => [r.Properties.RouteKey as string, r.Properties]));
    expect(byKey.size).toBe(routes.length);
    for (const route of routes) {
      const properties = byKey.get(`${route.method} ${route.path}`);
      if (route.auth === 'token') expect(properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      else expect(properties).toMatchObject({ AuthorizationType: 'AWS_IAM' });
    }
  });

  it('runs a function that may only GetItem on the table', () => {
    const roleId = stack.getLogicalId(registry.tokenAuthorizer!.role!.node.defaultChild as any);
    const actions = policies
      .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
    expect(actions).toEqual(['dynamodb:GetItem']);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => JSON.stringify(f.Properties.Role).includes(roleId)) as any;
    expect(fn.Properties.Environment.Variables.TABLE_NAME).toBeDefined();
  });
});

describe('grants', () => {
  const tokenPaths = tokenRoutes.map((r) => `/$default/${r.method}${r.path.replace('{service}', '*').replace('{instanceId}', '*')}`);

  it('never put a token route in an IAM policy (IAM does not apply to them)', () => {
    for (const role of ['OrdersRole', 'GatewayRole', 'AdminRole']) {
      const resources = invokeResources(role).join('\n');
      for (const path of tokenPaths) expect(resources).not.toContain(`${path}"`);
    }
  });

  it('give the token admin routes to grantAdmin only', () => {
    const admin = invokeResources('AdminRole').join('\n');
    for (const route of ['/POST/v1/tokens"', '/GET/v1/tokens"', '/DELETE/v1/tokens/*"']) {
      expect(admin).toContain(`/$default${route}`);
      expect(invokeResources('OrdersRole').join('\n')).not.toContain(`/$default${route}`);
      expect(invokeResources('GatewayRole').join('\n')).not.toContain(`/$default${route}`);
    }
  });
});

it('passes the cdk-nag AWS Solutions checks with the authorizer', () => {
  const { app } = build(true);
  expect(() => app.synth()).not.toThrow();
});
