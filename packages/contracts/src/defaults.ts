/**
 * Every default the registry applies, declared once. The request schemas (`api.ts`) fill registrations and queries
 * from it, the functions' configuration falls back to it, the CDK construct states it in the functions' environment,
 * and the client shows it. Dependency-free, so the construct may inline it.
 *
 * @example
 * import { DEFAULTS } from '@service-registry/contracts';
 * DEFAULTS.healthCheck.path; // => '/health'
 */
export const DEFAULTS = {
  /** Lease of a registration that gives neither `leaseSeconds` nor a `healthCheck`. */
  leaseSeconds: 30,
  /** How long after a lease expires DynamoDB TTL may delete the item (TTL is only the garbage collector). */
  ttlGraceSeconds: 3600,
  /** A registration's `weight`. */
  weight: 100,
  /** A registration's `protocol`. */
  protocol: 'http',
  /** Page size of discovery, service lists and history. */
  pageLimit: 100,
  /** A registration's `healthCheck` fields. */
  healthCheck: {
    path: '/health',
    intervalSeconds: 10,
    timeoutSeconds: 2,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    deregisterCriticalAfterSeconds: 600,
  },
  /** The prober. */
  prober: {
    /** Seconds between rounds (`REGISTRY_PROBE_INTERVAL_SECONDS`). */
    roundIntervalSeconds: 10,
    /**
     * Seconds between quick re-probes of a target whose latest probe failed, between rounds, until it passes or
     * reaches its `unhealthyThreshold` (`REGISTRY_PROBE_RETRY_SECONDS`; 0: none, like Envoy's `unhealthy_interval`).
     * Unset with rounds shorter than 5 s (the local runtime's 1 s), a fifth of the round interval.
     */
    retryIntervalSeconds: 1,
    /** Probes in flight at once (`REGISTRY_PROBE_CONCURRENCY`). */
    concurrency: 256,
    /** Most probes to one address and port per round (`REGISTRY_PROBE_MAX_PER_ENDPOINT`). */
    maxProbesPerEndpoint: 8,
    /** Prober shards (`REGISTRY_PROBE_SHARDS`). */
    shards: 1,
    /**
     * Least timeout of one prober invocation: one round whose slowest probe runs into the longest health-check
     * timeout (60 s), with room for the reads and writes around it, and the re-probes after it (more for rounds
     * over 10 s apart: see `proberTimeoutSeconds`). Lambda bills the time used, not the timeout.
     */
    timeoutSeconds: 90,
    /** Memory of the prober function in MB (arm64; the construct's `proberMemory`): enough for a shard of ~2,000 probed instances. */
    memoryMb: 128,
  },
  /** The mass-failure guards (`REGISTRY_PROTECTION_*`; see lambdas/domain/protection.ts). */
  protection: {
    /** Engage when more than this share of the probed targets' latest outcomes are failures. */
    probeFailureShare: 0.5,
    /** Engage when more than this share of leased instances expired within their last lease period. */
    leaseExpiryShare: 0.15,
    /** Below this many probed targets (or leased instances) the guards never engage. */
    minPopulation: 10,
    /** The lease guard lets go after being engaged this long (15 minutes). */
    maxLeaseProtectionSeconds: 900,
  },
  /** Conditional writes a bulk request keeps in flight at once (DynamoDB has no conditional batch write). */
  bulkConcurrency: 16,
  /** How often the client agent and the throttle sizing expect heartbeats. */
  heartbeatIntervalSeconds: 10,
  /** Days change history is kept (`REGISTRY_HISTORY_RETENTION_DAYS`, the construct's `historyRetention`). */
  historyRetentionDays: 30,
  /** The DNS view (`REGISTRY_DNS_*`). */
  dns: {
    /** The domain answered for. */
    domain: 'registry.internal',
    /** Record TTL: small, so a change reaches clients quickly. */
    ttlSeconds: 5,
  },
} as const;

/**
 * The prober function's timeout for rounds `roundIntervalSeconds` apart: one round (its slowest probe may run
 * into the longest health-check timeout, 60 s; 17.6 s was measured for a round of 10,000 instances turning
 * passing), its re-probes up to the next round and the wait for the lock. Lambda bills the time used, not the timeout; the lock of an invocation that crashed runs out this long
 * (plus 5 s) after it started. Read by the construct (the function and its queue) and the local runtime.
 *
 * @example
 * proberTimeoutSeconds(10); // => 90
 */
export function proberTimeoutSeconds(roundIntervalSeconds: number): number {
  // Lambda's longest timeout is 15 minutes.
  return Math.min(900, Math.max(DEFAULTS.prober.timeoutSeconds, Math.ceil(roundIntervalSeconds * 1.5) + 75));
}
