/** The DNS sync's dependencies in AWS: the registry, the Route 53 zone and the domain named by the environment. */
import { Route53Client } from '@aws-sdk/client-route-53';
import { ROUTE53_SET_LIMITS, Route53Zone } from '../adapters/route53-zone.js';
import type { Caller } from '../domain/caller.js';
import type { DnsSyncDependencies } from '../functions/dns-sync.js';
import { type DnsSyncConfig, loadDnsSyncConfig } from './config.js';
import { type Dependencies, fromEnv } from './dependencies.js';

/** The sync reads every service: it publishes the whole registry into a zone only the VPCs associated with it can query. */
const DNS_SYNC_CALLER: Caller = { principal: 'dns-sync', services: [], read: ['*'], admin: false };

/**
 * The sync's dependencies over the registry's and a Route 53 client (tests pass a mocked one).
 *
 * @example
 * const deps = createDnsSyncDependencies(fromEnv(), loadDnsSyncConfig(), new Route53Client({ maxAttempts: 1 }));
 */
export function createDnsSyncDependencies(
  { registry, logger, telemetry }: Pick<Dependencies, 'registry' | 'logger' | 'telemetry'>,
  config: DnsSyncConfig,
  route53: Route53Client,
): DnsSyncDependencies {
  return {
    registry,
    logger,
    telemetry,
    caller: DNS_SYNC_CALLER,
    zone: new Route53Zone(route53, config.hostedZoneId, config.domain),
    options: { domain: config.domain, ttlSeconds: config.ttlSeconds },
    setLimits: ROUTE53_SET_LIMITS,
  };
}

/**
 * @example
 * export const handler = dnsSyncHandler(dnsSyncFromEnv());
 */
export function dnsSyncFromEnv(env: NodeJS.ProcessEnv = process.env): DnsSyncDependencies {
  // The SDK's retries are off: the zone adapter's own loop is the only one (see adapters/route53-zone.ts).
  return createDnsSyncDependencies(fromEnv(env), loadDnsSyncConfig(env), new Route53Client({ maxAttempts: 1 }));
}
