/**
 * `@service-registry/cdk`: the service registry as one AWS CDK construct, with its Lambda code prebuilt.
 *
 * @example
 * import { ServiceRegistry } from '@service-registry/cdk';
 * const registry = new ServiceRegistry(stack, 'Registry', { vpc });
 */
export { ServiceRegistry, type ServiceRegistryProps, type SubscriberOptions } from './service-registry.js';
export { ProberNetwork, type ProberNetworkProps } from './prober-network.js';
export { RegistryDns, type RegistryDnsOptions, type RegistryDnsProps } from './dns.js';
export { RegistryDashboard, type RegistryDashboardProps } from './dashboard.js';
export type { EventArchiveOptions } from './history.js';
