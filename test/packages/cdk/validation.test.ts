/**
 * `ServiceRegistry` checks its props before it creates anything: a prop the handlers or AWS would refuse, or that
 * would be silently ignored, fails the synth with a message naming the prop.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { ServiceRegistry, type ServiceRegistryProps } from '@service-registry/cdk';

const build = (props: ServiceRegistryProps | ((stack: Stack) => ServiceRegistryProps)) => {
  const stack = new Stack(new App(), 'Test');
  return new ServiceRegistry(stack, 'Registry', typeof props === 'function' ? props(stack) : props);
};

describe('ServiceRegistry props', () => {
  it.each<[string, ServiceRegistryProps | ((stack: Stack) => ServiceRegistryProps), RegExp]>([
    ['adminPrincipals names a user', { adminPrincipals: ['arn:aws:iam::123456789012:user/alice'] }, /adminPrincipals: .* is not an IAM role ARN/],
    ['allowedCidrs holds something that is not a CIDR', { allowedCidrs: ['10.0.0.0/33'] }, /allowedCidrs: '10\.0\.0\.0\/33' is not a CIDR block/],
    ['proberShards is 0', { proberShards: 0 }, /proberShards must be an integer from 1 to 1000, got 0/],
    ['proberShards is above 1000', { proberShards: 1001 }, /proberShards must be an integer from 1 to 1000, got 1001/],
    [
      'probeInterval is not whole seconds',
      { probeInterval: Duration.millis(1500) },
      /probeInterval must be whole seconds, at least 1, got 1 second 500 millis/,
    ],
    ['probeInterval is under a second', { probeInterval: Duration.millis(500) }, /probeInterval must be whole seconds, at least 1/],
    [
      'probeRetryInterval is under 100 ms',
      { probeRetryInterval: Duration.millis(50) },
      /probeRetryInterval must be 0 \(none\) or whole milliseconds from 100 ms/,
    ],
    [
      'probeRetryInterval is not shorter than probeInterval',
      { probeInterval: Duration.seconds(5), probeRetryInterval: Duration.seconds(5) },
      /probeRetryInterval must be .* up to under probeInterval \(5 s\), got 5 seconds/,
    ],
    ['heartbeatInterval is under a second', { heartbeatInterval: Duration.millis(500) }, /heartbeatInterval must be whole seconds, at least 1/],
    ['expectedInstances is not a positive integer', { expectedInstances: 0 }, /expectedInstances must be a positive integer/],
    ['throttleRateLimit is negative', { throttleRateLimit: -1 }, /throttleRateLimit must be 0 or more requests\/s, got -1/],
    ['throttleBurstLimit is not a whole number', { throttleBurstLimit: 2.5 }, /throttleBurstLimit must be a whole number of requests/],
    ['eventSource is empty', { eventSource: ' ' }, /eventSource must not be empty/],
    ['vpcSubnets are given without vpc', { vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED } }, /vpcSubnets: give `vpc` too/],
    [
      'securityGroups are given without vpc',
      (stack) => ({ securityGroups: [SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0123456789abcdef0')] }),
      /securityGroups: give `vpc` too/,
    ],
    ['historyRetention is not whole days', { historyRetention: Duration.hours(36) }, /historyRetention must be a whole number of days/],
    ['archive.retention is not whole days', { archive: { retention: Duration.hours(12) } }, /archive\.retention must be a whole number of days/],
    ['dns has neither zone nor vpc', { dns: {} }, /dns: give `zone`.* or `vpc`/],
    [
      'provisionedCapacity has a fractional maximum',
      { provisionedCapacity: { maxReadCapacity: 10.5, maxWriteCapacity: 10 } },
      /provisionedCapacity\.maxReadCapacity must be a whole number of capacity units, at least 1, got 10\.5/,
    ],
    [
      'provisionedCapacity has a minimum of 0',
      { provisionedCapacity: { minWriteCapacity: 0, maxReadCapacity: 10, maxWriteCapacity: 10 } },
      /provisionedCapacity\.minWriteCapacity must be a whole number of capacity units, at least 1, got 0/,
    ],
    [
      'provisionedCapacity has a minimum above its maximum',
      { provisionedCapacity: { minWriteCapacity: 50, maxReadCapacity: 10, maxWriteCapacity: 20 } },
      /provisionedCapacity\.minWriteCapacity \(50\) must not exceed maxWriteCapacity \(20\)/,
    ],
    [
      'provisionedCapacity aims at a utilisation auto scaling refuses',
      { provisionedCapacity: { maxReadCapacity: 10, maxWriteCapacity: 10, targetUtilizationPercent: 95 } },
      /provisionedCapacity\.targetUtilizationPercent must be from 20 to 90, got 95/,
    ],
  ])('fails when %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  it('accepts the props a VPC deployment gives, with subnets and security groups of its VPC', () => {
    const registry = build((stack) => {
      const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: SubnetType.PRIVATE_ISOLATED }] });
      return {
        vpc,
        vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
        securityGroups: [new SecurityGroup(stack, 'Sg', { vpc })],
        throttleRateLimit: 0.5,
        throttleBurstLimit: 1,
      };
    });
    Template.fromStack(registry.node.scope as Stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 0.5, ThrottlingBurstLimit: 1 },
    });
  });

  it.each<[string, Duration | undefined, string]>([
    ['1 s by default', undefined, '1'],
    ['a fraction of a second', Duration.millis(250), '0.25'],
    ['0 for none', Duration.seconds(0), '0'],
  ])('gives the prober its re-probe interval: %s', (_name, probeRetryInterval, seconds) => {
    const registry = build(probeRetryInterval === undefined ? {} : { probeRetryInterval });
    Template.fromStack(registry.node.scope as Stack).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 90, // the prober (one round per invocation; a probe may run into the 60 s health-check timeout)
      Environment: { Variables: Match.objectLike({ REGISTRY_PROBE_RETRY_SECONDS: seconds }) },
    });
  });
});
