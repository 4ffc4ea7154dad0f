/**
 * Checks of `ServiceRegistry`'s props, run first in its constructor: a prop the handlers or AWS would refuse (or
 * silently ignore) fails the synth with a message naming the prop, instead of a deploy that fails or a registry
 * that does something else than asked. Values that are tokens (known only at deploy time) pass.
 */
import { Token, type Duration } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import ipaddr from 'ipaddr.js';
import { DEFAULTS } from '../../contracts/src/defaults.js';

/** The props the checks read (a structural subset of `ServiceRegistryProps`, so this module needs no import of it). */
export interface CheckedProps {
  readonly adminPrincipals?: string[];
  readonly allowedCidrs?: string[];
  readonly proberShards?: number;
  readonly probeInterval?: Duration;
  readonly probeRetryInterval?: Duration;
  readonly heartbeatInterval?: Duration;
  readonly throttleRateLimit?: number;
  readonly throttleBurstLimit?: number;
  readonly eventSource?: string;
  readonly vpc?: unknown;
  readonly vpcSubnets?: unknown;
  readonly securityGroups?: unknown[];
  readonly provisionedCapacity?: {
    readonly minReadCapacity?: number;
    readonly maxReadCapacity: number;
    readonly minWriteCapacity?: number;
    readonly maxWriteCapacity: number;
    readonly targetUtilizationPercent?: number;
  };
}

/** Checked provisioned capacity: bounds per kind, and the utilisation auto scaling aims at. */
export interface CheckedCapacity {
  readonly read: { readonly min: number; readonly max: number };
  readonly write: { readonly min: number; readonly max: number };
  readonly targetUtilizationPercent: number;
}

/** The props' values the construct uses once checked. */
export interface CheckedSettings {
  readonly adminPrincipals: string[];
  readonly proberShards: number;
  readonly probeIntervalSeconds: number;
  /** Seconds between re-probes of a failing target (`REGISTRY_PROBE_RETRY_SECONDS`; 0: none). */
  readonly probeRetrySeconds: number;
  readonly heartbeatIntervalSeconds: number;
  /** Provisioned capacity with auto scaling, when asked for; absent: on-demand. */
  readonly capacity?: CheckedCapacity;
}

/**
 * @example
 * const settings = checkProps({ proberShards: 2 }); // => { proberShards: 2, probeIntervalSeconds: 10, … }
 * checkProps({ proberShards: 0 });                   // throws: proberShards must be an integer from 1 to 1000, got 0
 */
export function checkProps(props: CheckedProps): CheckedSettings {
  const adminPrincipals = (props.adminPrincipals ?? []).map((arn) => checkedRoleArn(arn, 'adminPrincipals'));
  for (const cidr of props.allowedCidrs ?? []) checkCidr(cidr);
  // Without a VPC the prober has no subnets or security groups: these would be ignored, not applied.
  if (!props.vpc && props.vpcSubnets) throw new Error('vpcSubnets: give `vpc` too (they are subnets of the VPC the prober runs in)');
  if (!props.vpc && props.securityGroups) throw new Error('securityGroups: give `vpc` too (they are security groups of the prober in that VPC)');
  if (props.eventSource !== undefined && !Token.isUnresolved(props.eventSource) && props.eventSource.trim() === '') {
    throw new Error("eventSource must not be empty (it is the `source` every subscriber's rule matches)");
  }
  // HTTP API stages take a fractional rate (requests/s) but a whole burst (requests).
  if (props.throttleRateLimit !== undefined && !Token.isUnresolved(props.throttleRateLimit) && !(props.throttleRateLimit >= 0)) {
    throw new Error(`throttleRateLimit must be 0 or more requests/s, got ${props.throttleRateLimit}`);
  }
  if (
    props.throttleBurstLimit !== undefined &&
    !Token.isUnresolved(props.throttleBurstLimit) &&
    !(Number.isInteger(props.throttleBurstLimit) && props.throttleBurstLimit >= 0)
  ) {
    throw new Error(`throttleBurstLimit must be a whole number of requests (0 or more), got ${props.throttleBurstLimit}`);
  }
  const proberShards = props.proberShards ?? DEFAULTS.prober.shards;
  if (!Number.isInteger(proberShards) || proberShards < 1 || proberShards > 1000)
    throw new Error(`proberShards must be an integer from 1 to 1000, got ${proberShards}`);
  const probeIntervalSeconds = wholeSeconds('probeInterval', props.probeInterval, DEFAULTS.prober.roundIntervalSeconds);
  return {
    adminPrincipals,
    proberShards,
    probeIntervalSeconds,
    probeRetrySeconds: retrySeconds(props.probeRetryInterval, probeIntervalSeconds),
    heartbeatIntervalSeconds: wholeSeconds('heartbeatInterval', props.heartbeatInterval, DEFAULTS.heartbeatIntervalSeconds),
    ...(props.provisionedCapacity && { capacity: checkCapacity(props.provisionedCapacity) }),
  };
}

/** DynamoDB auto scaling's range of target utilisation, in percent (Application Auto Scaling refuses others). */
const TARGET_UTILIZATION = { min: 20, max: 90, default: 70 } as const;

/**
 * Bounds of provisioned capacity: whole units, at least 1, each minimum at most its maximum; a target utilisation
 * from 20 to 90 %. Checked here so a bad value fails the synth naming the prop, not the deploy.
 */
function checkCapacity(capacity: NonNullable<CheckedProps['provisionedCapacity']>): CheckedCapacity {
  const bounds = (kind: 'Read' | 'Write', min: number | undefined, max: number) => {
    const lower = min ?? 1;
    for (const [name, value] of [
      [`min${kind}Capacity`, lower],
      [`max${kind}Capacity`, max],
    ] as const) {
      if (Token.isUnresolved(value)) continue;
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`provisionedCapacity.${name} must be a whole number of capacity units, at least 1, got ${value}`);
    }
    if (!Token.isUnresolved(lower) && !Token.isUnresolved(max) && lower > max) {
      throw new Error(`provisionedCapacity.min${kind}Capacity (${lower}) must not exceed max${kind}Capacity (${max})`);
    }
    return { min: lower, max };
  };
  const target = capacity.targetUtilizationPercent ?? TARGET_UTILIZATION.default;
  if (!Token.isUnresolved(target) && !(target >= TARGET_UTILIZATION.min && target <= TARGET_UTILIZATION.max)) {
    throw new Error(`provisionedCapacity.targetUtilizationPercent must be from ${TARGET_UTILIZATION.min} to ${TARGET_UTILIZATION.max}, got ${target}`);
  }
  return {
    read: bounds('Read', capacity.minReadCapacity, capacity.maxReadCapacity),
    write: bounds('Write', capacity.minWriteCapacity, capacity.maxWriteCapacity),
    targetUtilizationPercent: target,
  };
}

/** A duration in whole seconds, at least 1 (the functions' settings are in seconds), or `fallback` when not given. */
function wholeSeconds(name: string, duration: Duration | undefined, fallback: number): number {
  if (duration === undefined) return fallback;
  const seconds = duration.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`${name} must be whole seconds, at least 1, got ${duration.toHumanString()}`);
  return seconds;
}

/**
 * The re-probe interval in seconds: 0 (none), or from 100 ms in whole milliseconds and shorter than the round
 * interval (re-probes run between rounds, so a longer one would never run).
 */
function retrySeconds(duration: Duration | undefined, probeIntervalSeconds: number): number {
  if (duration === undefined) return DEFAULTS.prober.retryIntervalSeconds;
  const ms = duration.toMilliseconds({ integral: false });
  if (ms === 0) return 0;
  if (!Number.isInteger(ms) || ms < 100 || ms >= probeIntervalSeconds * 1000) {
    throw new Error(
      `probeRetryInterval must be 0 (none) or whole milliseconds from 100 ms up to under probeInterval (${probeIntervalSeconds} s), got ${duration.toHumanString()}`,
    );
  }
  return ms / 1000;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/;

/**
 * A role ARN as the handlers need it, or a synth-time error naming where it came from.
 *
 * @example
 * checkedRoleArn('arn:aws:iam::123456789012:role/platform-admin', 'adminPrincipals'); // returned as is
 */
export function checkedRoleArn(arn: string, where: string): string {
  if (Token.isUnresolved(arn)) return arn; // a role of this app (Fn::GetAtt); CloudFormation fills it in
  if (!ROLE_ARN.test(arn)) {
    throw new Error(`${where}: '${arn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<path><name>); admins are recognised by their role`);
  }
  return arn;
}

function checkCidr(cidr: string): void {
  if (Token.isUnresolved(cidr)) return;
  try {
    ipaddr.parseCIDR(cidr);
  } catch {
    throw new Error(`allowedCidrs: '${cidr}' is not a CIDR block (e.g. 10.0.0.0/16 or fd00::/8)`);
  }
}

/** A role of this app or an imported one (`Role.fromRoleArn`/`fromRoleName`): anything with a role ARN and name. */
export function isRole(principal: unknown): principal is IRole {
  const candidate = principal as Partial<IRole>;
  return typeof candidate.roleArn === 'string' && typeof candidate.roleName === 'string';
}

/** How an error message names a principal: its class and, for a construct, its path. */
export function describePrincipal(principal: unknown): string {
  const name = (principal as { constructor?: { name?: string } }).constructor?.name ?? 'the principal';
  return Construct.isConstruct(principal) ? `${name} '${principal.node.path}'` : `a ${name}`;
}
