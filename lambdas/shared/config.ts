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
