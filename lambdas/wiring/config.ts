/**
 * Function configuration, read once from the environment by the `fromEnv` functions of `lambdas/wiring/` (and by
 * nothing else: handlers and the domain receive it). A missing or malformed variable fails at cold start, naming
 * it, not on the first request that needs it. Defaults come from the one defaults module (`DEFAULTS`).
 */
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';
import { HISTORY_RETENTION_DAYS } from '../table.js';

export interface RegistryConfig {
  /** DynamoDB table holding instances and service summaries. */
  readonly tableName: string;
  /** Allow loopback instance addresses (the local runtime does; AWS does not by default). */
  readonly allowLoopback: boolean;
  /** When set, instance addresses must fall in one of these CIDRs. */
  readonly allowCidrs: readonly string[];
  /** The lease guard's maximum; reads stop trusting an engagement older than this (`REGISTRY_PROTECTION_MAX_SECONDS`). */
  readonly maxLeaseProtectionSeconds: number;
  /** IAM principals (role ARNs) treated as admins when the API runs with IAM auth. */
  readonly adminPrincipals: readonly string[];
  /**
   * Prober shards (`REGISTRY_PROBE_SHARDS`, default 1): reads find a service's guard state in the item of its shard,
   * so the read functions must see the same count as the prober.
   */
  readonly probeShards: number;
  /** The lease guard's threshold and minimum population, which reads apply provisionally (see `Registry.discover`). */
  readonly leaseExpiryShare: number;
  readonly minPopulation: number;
  /** Seconds between prober rounds: reads judge expiries provisionally only until the prober has had two rounds. */
  readonly roundIntervalSeconds: number;
}

/** Configuration of the scheduled prober/sweeper. */
export interface ProberConfig {
  /** Seconds between rounds (one round per invocation: the schedule's, then the queue's delayed messages). */
  readonly roundIntervalSeconds: number;
  /**
   * Seconds between re-probes of a target whose latest probe failed, between rounds (`REGISTRY_PROBE_RETRY_SECONDS`,
   * default 1, or a fifth of the round interval when shorter; 0: none; otherwise from 0.1 to 600).
   */
  readonly retryIntervalSeconds: number;
  readonly concurrency: number;
  readonly probeFailureShare: number;
  readonly leaseExpiryShare: number;
  readonly minPopulation: number;
  /** The lease guard lets go after this long engaged (`REGISTRY_PROTECTION_MAX_SECONDS`, default 900). */
  readonly maxLeaseProtectionSeconds: number;
  /** Most probes to one address and port per round (`REGISTRY_PROBE_MAX_PER_ENDPOINT`, default 8). */
  readonly maxProbesPerEndpoint: number;
  /**
   * Identity of this prober process that survives its restarts (`REGISTRY_PROBER_HOLDER`; the local runtime sets
   * one per data directory, AWS none): a restarted process takes over the lock its dead predecessor still holds.
   */
  readonly holder?: string;
  readonly shard: number;
  readonly shards: number;
  /**
   * A scheduled invocation only queues the minute's rounds, round 0 included, and probes nothing
   * (`REGISTRY_PROBE_SCHEDULE_ONLY`, default false): the construct runs the schedule's function this way outside
   * the VPC when the prober runs in one, so the prober needs no route to SQS (an interface endpoint costs
   * ~$7 a month per zone); the queue's event source reaches the prober without one.
   */
  readonly scheduleOnly: boolean;
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
  const shards = probeShards(env);
  const common = shared(env);
  return {
    ...common,
    retryIntervalSeconds: probeRetry(env, common.roundIntervalSeconds),
    concurrency: number(env, 'REGISTRY_PROBE_CONCURRENCY', DEFAULTS.prober.concurrency, 1, 10_000),
    probeFailureShare: number(env, 'REGISTRY_PROTECTION_PROBE_SHARE', DEFAULTS.protection.probeFailureShare, 0, 1),
    maxLeaseProtectionSeconds: maxLeaseProtection(env),
    maxProbesPerEndpoint: number(env, 'REGISTRY_PROBE_MAX_PER_ENDPOINT', DEFAULTS.prober.maxProbesPerEndpoint, 1, 10_000),
    ...(env.REGISTRY_PROBER_HOLDER?.trim() && { holder: env.REGISTRY_PROBER_HOLDER.trim() }),
    shard: number(env, 'REGISTRY_PROBE_SHARD', 0, 0, shards - 1),
    shards,
    scheduleOnly: flag(env, 'REGISTRY_PROBE_SCHEDULE_ONLY', false),
  };
}

/**
 * Reads a boolean variable the one way every function and the local runtime do: `true`/`false`, `1`/`0`,
 * `yes`/`no`, any case, surrounding spaces ignored. Unset or empty gives `fallback`; anything else fails fast
 * naming the variable, so `REGISTRY_ALLOW_LOOPBACK=FALSE` can never silently mean true.
 *
 * @example
 * flag({ REGISTRY_ALLOW_LOOPBACK: 'No' }, 'REGISTRY_ALLOW_LOOPBACK', true); // => false
 * flag({}, 'REGISTRY_ALLOW_LOOPBACK', true);                               // => true
 */
export function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1' || value === 'yes') return true;
  if (value === 'false' || value === '0' || value === 'no') return false;
  throw new Error(`${name} must be one of true, false, 1, 0, yes, no (any case), got '${raw}'`);
}

/**
 * The re-probe interval: 0 (none), or from 0.1 s (a suspect is probed at most ten times a second) to 600 s. Unset:
 * the default (1 s), or a fifth of the round interval when that is shorter (the local runtime's 1 s rounds
 * re-probe every 200 ms, so a dead target reaches the default threshold, 3, in the first half of the round
 * interval after its first failed probe: see `mayRetry` in lambdas/domain/prober-loop.ts);
 * a steady fleet has no suspects, so this costs nothing then.
 */
function probeRetry(env: NodeJS.ProcessEnv, roundIntervalSeconds: number): number {
  const fallback = Math.max(0.1, Math.min(DEFAULTS.prober.retryIntervalSeconds, roundIntervalSeconds / 5));
  const seconds = number(env, 'REGISTRY_PROBE_RETRY_SECONDS', fallback, 0, 600);
  if (seconds > 0 && seconds < 0.1)
    throw new Error(`REGISTRY_PROBE_RETRY_SECONDS must be 0 (none) or from 0.1 to 600, got '${env.REGISTRY_PROBE_RETRY_SECONDS}'`);
  return seconds;
}

/** One reading of the shard count for the prober (which writes its shard's guard item) and the reads (which read it). */
function probeShards(env: NodeJS.ProcessEnv): number {
  return number(env, 'REGISTRY_PROBE_SHARDS', DEFAULTS.prober.shards, 1, 1000);
}

/** What the prober and the reads must read alike: the round interval and the lease guard's thresholds. */
function shared(env: NodeJS.ProcessEnv) {
  return {
    roundIntervalSeconds: number(env, 'REGISTRY_PROBE_INTERVAL_SECONDS', DEFAULTS.prober.roundIntervalSeconds, 1, 600),
    leaseExpiryShare: number(env, 'REGISTRY_PROTECTION_LEASE_SHARE', DEFAULTS.protection.leaseExpiryShare, 0, 1),
    minPopulation: number(env, 'REGISTRY_PROTECTION_MIN_INSTANCES', DEFAULTS.protection.minPopulation, 1, 1_000_000),
  };
}

/** One reading of the lease guard's maximum for the prober (which lets go) and the reads (which stop trusting it). */
function maxLeaseProtection(env: NodeJS.ProcessEnv): number {
  return number(env, 'REGISTRY_PROTECTION_MAX_SECONDS', DEFAULTS.protection.maxLeaseProtectionSeconds, 1, 7 * 86_400);
}

/** A variable that must be set; fails at cold start naming it. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * @example
 * const config = loadConfig({ TABLE_NAME: 'registry', REGISTRY_ALLOW_LOOPBACK: 'true' });
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  return {
    tableName: required(env, 'TABLE_NAME'),
    allowLoopback: flag(env, 'REGISTRY_ALLOW_LOOPBACK', false),
    allowCidrs: list(env.REGISTRY_ALLOW_CIDRS),
    adminPrincipals: list(env.REGISTRY_ADMIN_PRINCIPALS),
    maxLeaseProtectionSeconds: maxLeaseProtection(env),
    probeShards: probeShards(env),
    ...shared(env),
  };
}

/** Configuration of the stream publisher. */
export interface PublisherConfig {
  /** The EventBridge bus change events go to (`EVENT_BUS_NAME`, required). */
  readonly busName: string;
  /** The events' `source` (`REGISTRY_EVENT_SOURCE`). @default 'service-registry' */
  readonly source: string;
}

/**
 * @example
 * loadPublisherConfig({ EVENT_BUS_NAME: 'registry' }); // => { busName: 'registry', source: 'service-registry' }
 */
export function loadPublisherConfig(env: NodeJS.ProcessEnv = process.env): PublisherConfig {
  return { busName: required(env, 'EVENT_BUS_NAME'), source: env.REGISTRY_EVENT_SOURCE?.trim() || 'service-registry' };
}

/**
 * `REGISTRY_HISTORY_RETENTION_DAYS`, a whole number of days, 1-3650.
 *
 * @example
 * historyRetentionDays({ REGISTRY_HISTORY_RETENTION_DAYS: '7' }); // => 7
 */
export function historyRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.REGISTRY_HISTORY_RETENTION_DAYS;
  if (raw === undefined || raw.trim() === '') return HISTORY_RETENTION_DAYS.default;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > HISTORY_RETENTION_DAYS.max) {
    throw new Error(`REGISTRY_HISTORY_RETENTION_DAYS must be a whole number of days from 1 to ${HISTORY_RETENTION_DAYS.max}, got '${raw}'`);
  }
  return days;
}

/**
 * What a function that touches no table reads (health, the OpenAPI document): who counts as an admin.
 *
 * @example
 * loadEdgeConfig({}); // => { adminPrincipals: [] }
 */
export function loadEdgeConfig(env: NodeJS.ProcessEnv = process.env): { readonly adminPrincipals: readonly string[] } {
  return { adminPrincipals: list(env.REGISTRY_ADMIN_PRINCIPALS) };
}
