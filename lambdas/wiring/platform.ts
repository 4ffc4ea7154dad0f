/**
 * What every function that touches the table is built from: its configuration, where it logs, its DynamoDB
 * client, the address policy and the resolver. The prober needs only this; the HTTP functions build the domain
 * services on top of it (`dependencies.ts`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { resolveAll } from '../adapters/dns-resolver.js';
import { AddressPolicy } from '../domain/address-policy.js';
import { loadConfig, type RegistryConfig } from './config.js';
import { type Observability, observabilityFromEnv } from './observability.js';

/** What every function that touches the table is built from. */
export interface Platform extends Observability {
  readonly config: RegistryConfig;
  /** The table's client, values without `undefined` (`removeUndefinedValues`). */
  readonly documentClient: DynamoDBDocumentClient;
  /** Resolves a hostname to every address (A and AAAA). @default - the system resolver, 2 s deadline */
  readonly resolve: (hostname: string) => Promise<string[]>;
  /** The registry's address policy (what instances may be, and what probes may reach). */
  readonly addressPolicy: AddressPolicy;
}

/** What {@link createPlatform} needs besides the configuration. */
export interface PlatformOptions extends Observability {
  /** @default - a client from the SDK's own configuration */
  readonly dynamodb?: DynamoDBClient;
  readonly resolve?: (hostname: string) => Promise<string[]>;
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
 * The platform of a function in AWS, from its environment: read and validated once, at cold start.
 *
 * @example
 * export const handler = proberHandler({ ...platformFromEnv(), prober: loadProberConfig() });
 */
export function platformFromEnv(env: NodeJS.ProcessEnv = process.env): Platform {
  return createPlatform(loadConfig(env), observabilityFromEnv(env));
}
