/**
 * What the prober probes: the target of an instance (never a free URL), its short key, and the per-endpoint cap
 * that spreads one host's many check paths over several rounds. No AWS imports, no state.
 */
import { createHash } from 'node:crypto';
import type { HealthCheck } from '@service-registry/contracts';
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';
import type { Instance } from './instance.js';
import { groupBy } from './prober-collections.js';
import type { ProbeTarget } from './prober-ports.js';

/** An instance with a health check: the prober probes it (the others live on their leases alone). */
export type CheckedInstance = Instance & { readonly healthCheck: HealthCheck };

/** True when the instance has a health check to probe. */
export function isChecked(instance: Instance): instance is CheckedInstance {
  return instance.healthCheck !== undefined;
}

/**
 * The probe target of an instance: only its registered address and port, plus the check's path. Never a free URL.
 *
 * @example
 * targetOf(instance); // => { type: 'http', tls: false, address: '10.0.0.5', port: 8080, path: '/health', timeoutSeconds: 2 }
 */
export function targetOf(instance: CheckedInstance): ProbeTarget {
  const check = instance.healthCheck;
  return {
    type: check.type,
    tls: instance.protocol === 'https',
    address: instance.address,
    port: instance.port,
    ...(check.type === 'http' && { path: check.path ?? DEFAULTS.healthCheck.path }),
    timeoutSeconds: check.timeoutSeconds,
  };
}

/** A short, stable key of a probe target (the outcome map's key, also in the handover). */
export function targetKey(target: ProbeTarget): string {
  return createHash('sha256').update(JSON.stringify(target)).digest('base64url').slice(0, 16);
}

/**
 * Keeps at most `cap` due targets per address and port, least recently probed first (never probed before all),
 * so one host registered with hundreds of check paths gets `cap` probes a round and each path its turn.
 */
export function capPerEndpoint<E extends { readonly target: ProbeTarget; readonly lastProbedAtMs: number }>(
  due: readonly E[],
  cap: number,
): { selected: E[]; deferred: number } {
  const selected: E[] = [];
  let deferred = 0;
  for (const list of groupBy(due, (e) => `${e.target.address}|${e.target.port}`).values()) {
    if (list.length > cap) list.sort((a, b) => (a.lastProbedAtMs < b.lastProbedAtMs ? -1 : a.lastProbedAtMs > b.lastProbedAtMs ? 1 : 0));
    selected.push(...list.slice(0, cap));
    deferred += Math.max(0, list.length - cap);
  }
  return { selected, deferred };
}
