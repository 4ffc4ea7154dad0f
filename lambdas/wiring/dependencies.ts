/**
 * The composition root: the only module that builds adapters, and (through `fromEnv`) the only one that reads the
 * environment. A handler module is one line, `export const handler = registerHandler(fromEnv())`; the local runtime
 * and tests call {@link createDependencies} with their own clients, logger and telemetry and hand the result to the
 * same factories (`lambdas/functions/`), so two runtimes in one process never share a table, a bus or a logger.
 *
 * The endpoint of each AWS client comes from the SDK's own configuration in AWS; the local runtime passes clients
 * pointed at DynamoDB Local and its event bus.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { resolveAll } from '../adapters/dns-resolver.js';
import { DynamoDbHistoryStore } from '../adapters/dynamodb-history-store.js';
import { DynamoDbInstanceStore } from '../adapters/dynamodb-store.js';
import { DynamoDbTokenStore } from '../adapters/dynamodb-token-store.js';
import { PowertoolsTelemetry } from '../adapters/powertools-telemetry.js';
import { AddressPolicy } from '../domain/address-policy.js';
import { HistoryReader, type HistoryStore } from '../domain/history.js';
import { Registry } from '../domain/registry.js';
import { type Telemetry } from '../domain/telemetry.js';
import { Tokens } from '../domain/tokens.js';
import { METRICS_NAMESPACE } from '../metrics.js';
import type { EdgeDependencies } from '../http/route.js';
import { historyRetentionDays, loadConfig, loadEdgeConfig, required, type RegistryConfig } from './config.js';

/** Where a function logs and reports. */
export interface Observability {
  readonly logger: Logger;
  /** Powertools metrics (CloudWatch EMF), flushed by the `logMetrics` middleware; absent where metrics are off. */
  readonly metrics?: Metrics;
  /** What the domain reports through (names in lambdas/metrics.ts). */
  readonly telemetry: Telemetry;
}

/** What every function is built from: its configuration, where it logs, and its DynamoDB client. */
export interface Platform extends Observability {
  readonly config: RegistryConfig;
  /** The table's client, values without `undefined` (`removeUndefinedValues`). */
  readonly documentClient: DynamoDBDocumentClient;
  /** Resolves a hostname to every address (A and AAAA). @default - the system resolver, 2 s deadline */
  readonly resolve: (hostname: string) => Promise<string[]>;
  /** The registry's address policy (what instances may be, and what probes may reach). */
  readonly addressPolicy: AddressPolicy;
}

/** What the HTTP functions use: the platform plus the domain services over the table. */
export interface Dependencies extends Platform {
  readonly registry: Registry;
  readonly tokens: Tokens;
  readonly history: HistoryReader;
  /** The IAM principals treated as admins (`REGISTRY_ADMIN_PRINCIPALS`); the edge reads it. */
  readonly adminPrincipals: readonly string[];
}

/** What {@link createPlatform} needs besides the configuration. */
export interface PlatformOptions extends Observability {
  /** @default - a client from the SDK's own configuration */
  readonly dynamodb?: DynamoDBClient;
  readonly resolve?: (hostname: string) => Promise<string[]>;
}

/** The Powertools logger and metrics of a function in AWS, configured by the `POWERTOOLS_*` variables. */
export function observabilityFromEnv(env: NodeJS.ProcessEnv = process.env): Observability {
  const serviceName = env.POWERTOOLS_SERVICE_NAME || 'service-registry';
  const logger = new Logger({ serviceName });
  // `logMetrics` flushes after every invocation and Powertools warns when nothing is buffered — which, by design,
  // is every successful HTTP request (they report only errors, so a heartbeat costs no metric line). Its warnings
  // therefore go to debug; its errors stay errors.
  const metricsLogger = { debug: logger.debug.bind(logger), info: logger.info.bind(logger), warn: logger.debug.bind(logger), error: logger.error.bind(logger) };
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, logger: metricsLogger });
  return { logger, metrics, telemetry: new PowertoolsTelemetry(metrics) };
}

/**
 * @example
 * const platform = createPlatform(loadConfig({ TABLE_NAME: 'registry' }), { logger, telemetry, dynamodb: new DynamoDBClient({ endpoint }) });
 */
export function createPlatform(config: RegistryConfig, options: PlatformOptions): Platform {
  const documentClient = DynamoDBDocumentClient.from(options.dynamodb ?? new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    config,
    logger: options.logger,
    ...(options.metrics && { metrics: options.metrics }),
    telemetry: options.telemetry,
    documentClient,
    resolve: options.resolve ?? resolveAll,
    addressPolicy: new AddressPolicy({ allowLoopback: config.allowLoopback, allowCidrs: config.allowCidrs }),
  };
}

/**
 * The HTTP functions' dependencies over a platform.
 *
 * @example
 * const deps = createDependencies(createPlatform(config, { logger, telemetry }));
 * const handler = registerHandler(deps);
 */
export function createDependencies(platform: Platform): Dependencies {
  const { config, documentClient } = platform;
  const store = new DynamoDbInstanceStore(documentClient, config.tableName, config.probeShards);
  const registry = new Registry({
    store,
    protection: store,
    maxLeaseProtectionSeconds: config.maxLeaseProtectionSeconds,
    provisional: { leaseExpiryShare: config.leaseExpiryShare, minPopulation: config.minPopulation, roundIntervalSeconds: config.roundIntervalSeconds },
    addressPolicy: platform.addressPolicy,
    resolve: platform.resolve,
  });
  return {
    ...platform,
    registry,
    tokens: new Tokens({ store: new DynamoDbTokenStore(documentClient, config.tableName) }),
    // Reads never write, so retention does not matter here: items past it are skipped by their TTL attribute.
    history: new HistoryReader({ store: new DynamoDbHistoryStore(documentClient, config.tableName, 0) }),
    adminPrincipals: config.adminPrincipals,
  };
}

/** The platform of a function in AWS, from its environment. */
export function platformFromEnv(env: NodeJS.ProcessEnv = process.env): Platform {
  return createPlatform(loadConfig(env), observabilityFromEnv(env));
}

/**
 * The HTTP functions' dependencies in AWS, from the environment: read and validated once, at cold start.
 *
 * @example
 * export const handler = registerHandler(fromEnv());
 */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): Dependencies {
  return createDependencies(platformFromEnv(env));
}

/**
 * The dependencies of a function that touches no table (health, the OpenAPI document): it has no `TABLE_NAME`.
 *
 * @example
 * export const handler = healthHandler(edgeFromEnv());
 */
export function edgeFromEnv(env: NodeJS.ProcessEnv = process.env): EdgeDependencies {
  return { ...observabilityFromEnv(env), ...loadEdgeConfig(env) };
}

/**
 * The history writer's dependencies (`TABLE_NAME`, `REGISTRY_HISTORY_RETENTION_DAYS`).
 *
 * @example
 * export const handler = historyHandler(historyFromEnv());
 */
export function historyFromEnv(env: NodeJS.ProcessEnv = process.env): { readonly store: HistoryStore; readonly logger: Logger } {
  const platform = platformFromEnv(env);
  return { store: new DynamoDbHistoryStore(platform.documentClient, platform.config.tableName, historyRetentionDays(env)), logger: platform.logger };
}

/**
 * The token authorizer's one dependency: the tokens in the table (`TABLE_NAME`). Nothing else is built, since the
 * authorizer runs before every request to a token route.
 *
 * @example
 * export const handler = tokenAuthorizer(tokensFromEnv());
 */
export function tokensFromEnv(env: NodeJS.ProcessEnv = process.env): Tokens {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return new Tokens({ store: new DynamoDbTokenStore(documentClient, required(env, 'TABLE_NAME')) });
}
