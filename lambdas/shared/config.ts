/**
 * Function configuration, read once from the environment. A missing required variable fails at cold start,
 * not on the first request that needs it.
 */
export interface RegistryConfig {
  /** DynamoDB table holding instances and service summaries. */
  readonly tableName: string;
  /** Allow loopback instance addresses (the local runtime does; AWS does not by default). */
  readonly allowLoopback: boolean;
  /** When set, instance addresses must fall in one of these CIDRs. */
  readonly allowCidrs: readonly string[];
  /** IAM principals (role ARNs) treated as admins when the API runs with IAM auth. */
  readonly adminPrincipals: readonly string[];
}

/** Configuration of the scheduled prober/sweeper. */
export interface ProberConfig {
  /** Seconds between rounds within one invocation. */
  readonly roundIntervalSeconds: number;
  readonly concurrency: number;
  readonly probeFailureShare: number;
  readonly leaseExpiryShare: number;
  readonly minPopulation: number;
  readonly shard: number;
  readonly shards: number;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, got '${raw}'`);
  return value;
}

/**
 * @example
 * loadProberConfig({ REGISTRY_PROBE_INTERVAL_SECONDS: '1' }).roundIntervalSeconds; // => 1
 */
export function loadProberConfig(env: NodeJS.ProcessEnv = process.env): ProberConfig {
  const shards = number(env, 'REGISTRY_PROBE_SHARDS', 1, 1, 1000);
  return {
    roundIntervalSeconds: number(env, 'REGISTRY_PROBE_INTERVAL_SECONDS', 10, 1, 600),
    concurrency: number(env, 'REGISTRY_PROBE_CONCURRENCY', 256, 1, 10_000),
    probeFailureShare: number(env, 'REGISTRY_PROTECTION_PROBE_SHARE', 0.5, 0, 1),
    leaseExpiryShare: number(env, 'REGISTRY_PROTECTION_LEASE_SHARE', 0.15, 0, 1),
    minPopulation: number(env, 'REGISTRY_PROTECTION_MIN_INSTANCES', 10, 1, 1_000_000),
    shard: number(env, 'REGISTRY_PROBE_SHARD', 0, 0, shards - 1),
    shards,
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * @example
 * const config = loadConfig({ TABLE_NAME: 'registry', REGISTRY_ALLOW_LOOPBACK: 'true' });
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  return {
    tableName: required(env, 'TABLE_NAME'),
    allowLoopback: env.REGISTRY_ALLOW_LOOPBACK === 'true',
    allowCidrs: list(env.REGISTRY_ALLOW_CIDRS),
    adminPrincipals: list(env.REGISTRY_ADMIN_PRINCIPALS),
  };
}
