/**
 * `@service-registry/client`: what services and gateways install to use the service registry.
 *
 * - {@link RegistryClient}: the typed v1 API client (SigV4 in AWS, a bearer token locally); answers are validated
 *   with the contract's zod schemas.
 * - {@link registerInstance}: the agent a service runs (register, heartbeat, re-register, drain on SIGTERM).
 * - {@link ServiceCache}, fed by a change feed ({@link SseFeed} locally, {@link SqsFeed} in AWS), and the balancers
 *   ({@link createBalancer} or one of the strategies) that a gateway routes with.
 * - Typed errors, and the record and event types of `@service-registry/contracts`.
 *
 * @example
 * import { RegistryClient, registerInstance } from '@service-registry/client';
 * const registry = new RegistryClient({ baseUrl: process.env.REGISTRY_URL!, sigv4: { region: 'eu-west-1' } });
 * await registerInstance({ client: registry, service: 'orders', instanceId: 'orders-1', registration: { address: '10.0.3.17', port: 8080 } });
 *
 * @packageDocumentation
 */
export {
  RegistryClient,
  checkInstanceId,
  checkService,
  type AwsCredentials,
  type AwsCredentialsProvider,
  type CreateTokenRequest,
  type DiscoverQuery,
  type DiscoverResult,
  type HeartbeatInstancesResult,
  type HeartbeatResult,
  type HistoryOptions,
  type RegisterInstancesResult,
  type Registration,
  type RegistrationItem,
  type RegistryClientOptions,
  type SigV4Options,
} from './client.js';
export { registerInstance, registerInstances, type AgentOptions, type GroupAgentOptions, type RegisteredGroup, type RegisteredInstance } from './agent.js';
export { ServiceCache, type ServiceCacheOptions } from './cache.js';
export {
  SseFeed,
  SqsFeed,
  type ChangeFeed,
  type FeedHandlers,
  type SqsClientLike,
  type SqsFeedOptions,
  type SseFeedCommonOptions,
  type SseFeedOptions,
} from './feeds.js';
export {
  parseRegistryEvent,
  type InstanceDetailType,
  type InstanceEvent,
  type ProtectionDetailType,
  type ProtectionEvent,
  type RegistryEvent,
  type RegistryEventOf,
  type RegistryEventsOf,
  type ResyncEvent,
} from './events.js';
export { RegistryApiError, RegistryDependencyError, RegistryResponseError, RegistryUnavailableError, RegistryValidationError } from './errors.js';
export * from './balancers/index.js';
export type {
  DetailType,
  HealthCheck,
  HealthState,
  InstanceEventDetail,
  InstanceRecord,
  InstanceStatus,
  PatchBody,
  ProtectionEventDetail,
  ProtectionStatus,
  RegisterBody,
  ResyncEventDetail,
  ServiceSummary,
  CreatedToken,
  TokenRecord,
  HistoryEntry,
  HistoryPage,
  HistoryQuery,
} from '@service-registry/contracts';
