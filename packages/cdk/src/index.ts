/**
 * `@service-registry/cdk`: the service registry as one AWS CDK construct, with its Lambda code prebuilt, and the
 * constructs it is made of.
 *
 * @example
 * import { ServiceRegistry } from '@service-registry/cdk';
 * const registry = new ServiceRegistry(stack, 'Registry', { vpc });
 * registry.addSubscriber('Gateway', { services: ['orders'] }).grantConsume(gatewayRole);
 */
export { ServiceRegistry, type ServiceRegistryProps, type ProvisionedCapacity } from './service-registry.js';
export { RegistryFunction, type RegistryFunctionProps, type BindTableOptions } from './registry-function.js';
export { RegistrySubscriber, type RegistrySubscriberProps, type SubscriberOptions, type InstanceChangeOptions } from './subscriber.js';
export { ProberNetwork, type ProberNetworkProps } from './prober-network.js';
export { RegistryDns, type RegistryDnsOptions, type RegistryDnsProps } from './dns.js';
export { RegistryDashboard, type RegistryDashboardProps } from './dashboard.js';
export type { EventArchiveOptions } from './history.js';
