/**
 * The composition root of the HTTP functions and the history writer: the only place their adapters are built, and
 * (through `fromEnv`) the only place the environment is read — with `platform.ts`, `observability.ts` and the
 * `*FromEnv` of the other functions beside it. A handler module is one line,
 * `export const handler = registerHandler(fromEnv())`; the local runtime and tests call {@link createDependencies}
 * over a platform of their own (clients pointed at DynamoDB Local, their own logger and telemetry) and hand the
 * result to the same factories (`lambdas/functions/`), so two runtimes in one process never share a table, a bus or
 * a logger.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbHistoryStore } from '../adapters/dynamodb-history-store.js';
import { DynamoDbInstanceStore } from '../adapters/dynamodb-store.js';
import { DynamoDbTokenStore } from '../adapters/dynamodb-token-store.js';
import type { ChangeNotifier } from '../domain/fast-publish.js';
import { HistoryReader, type HistoryStore } from '../domain/history.js';
import { Registry } from '../domain/registry.js';
import { Tokens } from '../domain/tokens.js';
import { historyRetentionDays } from './config.js';
import { type Platform, platformFromEnv } from './platform.js';

/** What the HTTP functions use: the platform plus the domain services over the table. */
export interface Dependencies extends Platform {
  readonly registry: Registry;
  readonly tokens: Tokens;
  readonly history: HistoryReader;
  /** The IAM principals treated as admins (`REGISTRY_ADMIN_PRINCIPALS`); the edge reads it. */
  readonly adminPrincipals: readonly string[];
}

/** What only some functions are given besides the platform. */
export interface DependencyOptions {
  /**
   * The fast path of change events: the writing functions (register, bulk register, patch, deregister) publish each
   * change right after its write (see lambdas/domain/fast-publish.ts; `writerFromEnv` in fast-publish.ts builds it in
   * AWS). @default - none: the stream publisher alone publishes
   */
  readonly notifier?: ChangeNotifier;
}

/**
 * The HTTP functions' dependencies over a platform.
 *
 * @example
 * const deps = createDependencies(createPlatform(config, { logger, telemetry }));
 * const handler = registerHandler(deps);
 */
export function createDependencies(platform: Platform, options: DependencyOptions = {}): Dependencies {
  const { config, documentClient } = platform;
  const store = new DynamoDbInstanceStore(documentClient, config.tableName, config.probeShards);
  const registry = new Registry({
    store,
    protection: store,
    maxLeaseProtectionSeconds: config.maxLeaseProtectionSeconds,
    provisional: { leaseExpiryShare: config.leaseExpiryShare, minPopulation: config.minPopulation, roundIntervalSeconds: config.roundIntervalSeconds },
    addressPolicy: platform.addressPolicy,
    resolve: platform.resolve,
    ...(options.notifier && { notifier: options.notifier }),
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
 * The history writer's dependencies (`TABLE_NAME`, `REGISTRY_HISTORY_RETENTION_DAYS`).
 *
 * @example
 * export const handler = historyHandler(historyFromEnv());
 */
export function historyFromEnv(env: NodeJS.ProcessEnv = process.env): { readonly store: HistoryStore; readonly logger: Logger } {
  const platform = platformFromEnv(env);
  return { store: new DynamoDbHistoryStore(platform.documentClient, platform.config.tableName, historyRetentionDays(env)), logger: platform.logger };
}
