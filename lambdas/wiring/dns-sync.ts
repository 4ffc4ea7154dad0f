/** The DNS sync's dependencies in AWS: the registry, the Route 53 zone and the domain named by the environment. */
import { Route53Client } from '@aws-sdk/client-route-53';
import { ROUTE53_SET_LIMITS, Route53Zone } from '../adapters/route53-zone.js';
import type { Caller } from '../domain/caller.js';
import type { DnsSyncDependencies } from '../functions/dns-sync.js';
import { DEFAULT_DNS_TTL_SECONDS } from '../connectors/dns.js';
import { type Dependencies, fromEnv } from './dependencies.js';

/** Configuration of the DNS sync (Route 53 private zone). */
export interface DnsSyncConfig {
  readonly hostedZoneId: string;
  /** Lower case, no trailing dot. */
  readonly domain: string;
  readonly ttlSeconds: number;
}

/**
 * @example
 * loadDnsSyncConfig({ HOSTED_ZONE_ID: 'Z123', REGISTRY_DNS_DOMAIN: 'registry.internal' }).ttlSeconds; // => 5
 */
export function loadDnsSyncConfig(env: NodeJS.ProcessEnv = process.env): DnsSyncConfig {
  const hostedZoneId = env.HOSTED_ZONE_ID;
  const domain = env.REGISTRY_DNS_DOMAIN?.trim().toLowerCase().replace(/\.$/, '');
  if (!hostedZoneId) throw new Error('environment variable HOSTED_ZONE_ID is required');
  if (!domain) throw new Error('environment variable REGISTRY_DNS_DOMAIN is required');
  const rawTtl = env.REGISTRY_DNS_TTL_SECONDS;
  const ttlSeconds = rawTtl === undefined || rawTtl === '' ? DEFAULT_DNS_TTL_SECONDS : Number(rawTtl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > 86_400)
    throw new Error(`REGISTRY_DNS_TTL_SECONDS must be an integer 0-86400, got '${rawTtl}'`);
  return { hostedZoneId, domain, ttlSeconds };
}

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
