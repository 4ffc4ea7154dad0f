/**
 * Sizing the API stage's throttle from the fleet. API Gateway answers 429 once a stage's token bucket is empty
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html), and a lease-mode
 * instance whose heartbeats keep getting 429 loses its lease and disappears from discovery. The default heartbeat
 * interval is `DEFAULTS.heartbeatIntervalSeconds` (packages/contracts/src/defaults.ts): the SDK agent renews every
 * lease/3, 10 s for the default 30 s lease.
 */

/** Sized so the default throttle stays 1,000 requests/s: 5,000 × 2 / 10 s. */
export const DEFAULT_EXPECTED_INSTANCES = 5_000;
/**
 * The default account-level throttle quota per Region, shared by every API of the account
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html; 2,500 in some newer Regions).
 * A stage limit above it is not reached without a quota increase.
 */
export const ACCOUNT_RATE_QUOTA = 10_000;

export interface StageThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * The stage throttle for `expectedInstances` lease-mode instances heartbeating every `heartbeatIntervalSeconds`:
 * rate = ⌈2 × instances / interval⌉, burst = 2 × rate. The factor 2 is headroom for everything that is not a
 * steady heartbeat: the agent's jitter (a beat comes after 0.8 × interval at the earliest, +25 %), registrations
 * and discovery calls, and a fleet re-registering after a deploy.
 *
 * @example
 * stageThrottle(5_000, 10);  // => { rateLimit: 1_000, burstLimit: 2_000 }
 * stageThrottle(20_000, 10); // => { rateLimit: 4_000, burstLimit: 8_000 }
 */
export function stageThrottle(expectedInstances: number, heartbeatIntervalSeconds: number): StageThrottle {
  if (!Number.isInteger(expectedInstances) || expectedInstances < 1) {
    throw new Error(`expectedInstances must be a positive integer, got ${expectedInstances}`);
  }
  if (!(heartbeatIntervalSeconds >= 1)) {
    throw new Error(`heartbeatIntervalSeconds must be at least 1, got ${heartbeatIntervalSeconds}`);
  }
  const rateLimit = Math.ceil((2 * expectedInstances) / heartbeatIntervalSeconds);
  return { rateLimit, burstLimit: 2 * rateLimit };
}
