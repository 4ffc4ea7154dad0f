/** The Eureka routes in AWS: one function for every route, bearer tokens, and the same address policy as register. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ServiceRegistry } from '@service-registry/cdk';
import { EUREKA_OPERATIONS, EUREKA_PREFIXES } from '../../../lambdas/connectors/eureka-routes.js';
import { routes } from '../../../lambdas/routes.js';

// GIVEN a registry whose instances must live in one CIDR
const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
new ServiceRegistry(stack, 'Registry', { allowedCidrs: ['10.1.0.0/16'] });
const template = Template.fromStack(stack);
const functions = template.findResources('AWS::Lambda::Function') as Record<string, any>;
const functionOf = (routeId: string) => Object.entries(functions).filter(([id]) => id.startsWith(`Registry${routeId}Function`));

describe('the Eureka routes in the template', () => {
  it('are every operation under both roots, served by one function, with bearer-token auth', () => {
    const eureka = routes.filter((r) => r.handler === 'eureka');
    expect(eureka).toHaveLength(EUREKA_OPERATIONS.length * EUREKA_PREFIXES.length);
    expect(eureka.every((r) => r.auth === 'token')).toBe(true);
    const apiRoutes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as any[];
    const keys = apiRoutes.filter((r) => String(r.Properties.RouteKey).includes(' /eureka/'));
    expect(keys.map((r) => r.Properties.RouteKey).sort()).toEqual(eureka.map((r) => `${r.method} ${r.path}`).sort());
    expect(new Set(keys.map((r) => r.Properties.AuthorizationType))).toEqual(new Set(['CUSTOM']));
    expect(functionOf(eureka[0]!.id)).toHaveLength(1);
    expect(eureka.slice(1).flatMap((r) => functionOf(r.id))).toEqual([]);
  });

  it('gives the eureka function the address policy register has (REGISTRY_ALLOW_CIDRS), so no address enters outside it', () => {
    const [[, register]] = functionOf('RegisterInstance') as [[string, any]];
    const [[, eureka]] = functionOf(routes.find((r) => r.handler === 'eureka')!.id) as [[string, any]];
    expect(register.Properties.Environment.Variables.REGISTRY_ALLOW_CIDRS).toBe('10.1.0.0/16');
    expect(eureka.Properties.Environment.Variables).toMatchObject({
      REGISTRY_ALLOW_CIDRS: register.Properties.Environment.Variables.REGISTRY_ALLOW_CIDRS,
      REGISTRY_ALLOW_LOOPBACK: 'false',
    });
  });
});
