/**
 * The registration agent a service runs: registers (retrying with backoff while the registry cannot be reached, e.g.
 * when the service starts before the registry), renews its lease at about a third of the lease with jitter,
 * registers again when a heartbeat answers 404 (the registry forgot it), backs off on errors without giving up, and
 * on SIGTERM/SIGINT marks the instance DRAINING, waits for the drain time, deregisters and lets the process exit.
 * Probe-driven instances (a health check and no lease) send no heartbeats. {@link registerInstances} does the same for
 * several instances of one service at once, through the bulk routes (one request per beat for up to 100 instances).
 */
import type { InstanceRecord } from '@service-registry/contracts';
import { checkInstanceId, checkService, type RegistryClient, type Registration, type RegistrationItem } from './client.js';
import { RegistryApiError, RegistryUnavailableError } from './errors.js';

export interface AgentOptions {
  readonly client: RegistryClient;
  readonly service: string;
  readonly instanceId: string;
  readonly registration: Registration;
  /** Seconds between DRAINING and deregistering on shutdown, so gateways stop routing first. @default 10 */
  readonly drainSeconds?: number;
  /** Handle SIGTERM and SIGINT (drain, deregister, exit). @default true */
  readonly handleSignals?: boolean;
  /** Called once drained and deregistered after a signal. @default process.exit(0) */
  readonly onShutdown?: () => void;
  /**
   * Fail on the first registration's error instead of retrying it. By default a registry that cannot be reached
   * (connection refused, timeout, 5xx, 429) is retried with the same backoff as heartbeats until it answers, so a
   * service may start before its registry; an answer that retrying cannot change (400, 401, 403, 409) fails at once
   * either way.
   * @default false
   */
  readonly failFast?: boolean;
  /** Errors the agent recovers from, including each failed attempt at the first registration (logged by default). */
  readonly onError?: (error: unknown) => void;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface RegisteredInstance {
  /** The record of the latest registration. */
  readonly instance: InstanceRecord;
  /** Drains (if `drain`), deregisters and stops heartbeats. */
  shutdown(options?: { drain?: boolean }): Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * @example
 * const registry = new RegistryClient({ baseUrl: process.env.REGISTRY_URL! });
 * await registerInstance({ client: registry, service: 'orders', instanceId: hostname(), registration: { address, port: 8080, leaseSeconds: 30 } });
 */
export async function registerInstance(options: AgentOptions): Promise<RegisteredInstance> {
  // Checked before anything is sent or retried: an unset HOSTNAME is a bug to report, not an outage to wait out.
  const service = checkService(options.service);
  const instanceId = checkInstanceId(options.instanceId);
  const { client } = options;
  const random = options.random ?? Math.random;
  const onError = options.onError ?? ((error: unknown) => console.warn(`registry agent ${service}/${instanceId}:`, (error as Error).message));
  /** The record of the latest registration; undefined only until the first one succeeds. */
  let instance: InstanceRecord | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let stopped = false;

  /** Before the first answer the lease is the one asked for (a probe-driven instance has none). */
  const leaseMs = () => (instance?.leaseSeconds ?? options.registration.leaseSeconds ?? 0) * 1000;
  const nextBeat = () => beatDelay(leaseMs(), random);
  const backoff = () => backoffDelay(leaseMs(), failures, random);

  while (instance === undefined) {
    try {
      instance = await client.register(service, instanceId, options.registration);
      failures = 0;
    } catch (error) {
      if (options.failFast || !isTransient(error)) throw error;
      failures++;
      onError(error);
      await new Promise((resolve) => setTimeout(resolve, backoff()));
    }
  }

  const schedule = (ms: number) => {
    if (stopped || instance?.leaseSeconds === undefined) return;
    timer = setTimeout(() => void beat(), ms);
  };
  const beat = async () => {
    try {
      await client.heartbeat(service, instanceId);
      failures = 0;
      schedule(nextBeat());
    } catch (error) {
      let failure = error;
      if (error instanceof RegistryApiError && error.status === 404) {
        // The lease ran out or the instance was removed: never resurrected by a heartbeat, so register again.
        try {
          instance = await client.register(service, instanceId, options.registration);
          failures = 0;
          schedule(nextBeat());
          return;
        } catch (registerError) {
          failure = registerError;
        }
      }
      failures++;
      onError(failure);
      schedule(backoff());
    }
  };
  schedule(nextBeat());

  const shutdown = async ({ drain = true }: { drain?: boolean } = {}) => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    await leave({ ...options, service }, [instanceId], drain, onError);
    unlisten();
  };
  const unlisten = shutdownOnSignals(options, shutdown);
  return {
    get instance() {
      return instance!; // assigned by the loop above before this object exists
    },
    shutdown,
  };
}

/** What {@link registerInstances} takes: {@link AgentOptions} for up to 100 instances of one service. */
export interface GroupAgentOptions extends Omit<AgentOptions, 'instanceId' | 'registration'> {
  /** The instances to keep registered, each its id and registration: 1 to 100, ids distinct. */
  readonly instances: readonly { readonly instanceId: string; readonly registration: Registration }[];
}

export interface RegisteredGroup {
  /** The records of the latest registrations, in the order given. */
  readonly instances: readonly InstanceRecord[];
  /** Drains every instance (if `drain`), deregisters them and stops heartbeats. */
  shutdown(options?: { drain?: boolean }): Promise<void>;
}

/**
 * The agent of {@link registerInstance} for a process that holds several instances of one service (a node agent, a
 * server listening on several ports): one bulk request registers them all and one bulk heartbeat renews every lease
 * at about a third of the shortest, so a hundred instances cost one request per beat instead of a hundred. An
 * instance whose heartbeat answers 404 is registered again (with the others that did, in one request); an item the
 * registry could not write (500) is retried with backoff; a refusal that retrying cannot change (400, 403) fails the
 * first registration, naming the instance. Shutdown and signals work as in {@link registerInstance}, per instance.
 *
 * @example
 * const group = await registerInstances({
 *   client: registry,
 *   service: 'orders',
 *   instances: [8080, 8081].map((port) => ({ instanceId: `${hostname()}-${port}`, registration: { address, port, leaseSeconds: 30 } })),
 * });
 */
export async function registerInstances(options: GroupAgentOptions): Promise<RegisteredGroup> {
  const service = checkService(options.service);
  for (const { instanceId } of options.instances) checkInstanceId(instanceId);
  const { client } = options;
  const random = options.random ?? Math.random;
  const onError = options.onError ?? ((error: unknown) => console.warn(`registry agent ${service}:`, (error as Error).message));
  const registrations = new Map(options.instances.map(({ instanceId, registration }) => [instanceId, registration]));
  const records = new Map<string, InstanceRecord>();
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let stopped = false;

  /** The shortest lease held (or asked for, before the first answer); 0 when every instance is probe-driven. */
  const leaseMs = () => {
    const leases = [...registrations.keys()].map((id) => records.get(id)?.leaseSeconds ?? registrations.get(id)!.leaseSeconds).filter((s) => s !== undefined);
    return leases.length === 0 ? 0 : Math.min(...leases) * 1000;
  };
  const nextBeat = () => beatDelay(leaseMs(), random);
  const backoff = () => backoffDelay(leaseMs(), failures, random);

  /** Registers `ids` in one request; answers the ids to try again (500s). A 4xx item throws when `strict`, else is reported. */
  const register = async (ids: readonly string[], strict: boolean): Promise<string[]> => {
    const items: RegistrationItem[] = ids.map((instanceId) => ({ instanceId, ...registrations.get(instanceId)! }));
    const retry: string[] = [];
    for (const result of (await client.registerMany(service, items)).results) {
      if (!('error' in result)) records.set(result.instanceId, result.instance);
      else if (result.status >= 500) retry.push(result.instanceId);
      else if (strict) throw refusal(result);
      else onError(refusal(result));
    }
    return retry;
  };

  let pending = [...registrations.keys()];
  while (pending.length > 0) {
    try {
      pending = await register(pending, true);
      if (pending.length > 0) throw new RegistryUnavailableError(`registry could not write ${pending.join(', ')}`);
      failures = 0;
    } catch (error) {
      if (options.failFast || !isTransient(error)) throw error;
      failures++;
      onError(error);
      await new Promise((resolve) => setTimeout(resolve, backoff()));
    }
  }

  const leased = () => [...records.values()].filter((record) => record.leaseSeconds !== undefined).map((record) => record.instanceId);
  const schedule = (ms: number) => {
    if (stopped || leased().length === 0) return;
    timer = setTimeout(() => void beat(), ms);
  };
  const beat = async () => {
    try {
      const { results } = await client.heartbeatMany(service, leased());
      // Gone (the lease ran out, or the instance was removed): never resurrected by a heartbeat, so register again.
      const gone = results.filter((result) => result.status === 404).map((result) => result.instanceId);
      const retry = gone.length > 0 ? await register(gone, false) : [];
      for (const result of results) if ('error' in result && result.status !== 404) onError(refusal(result));
      if (retry.length > 0) throw new RegistryUnavailableError(`registry could not write ${retry.join(', ')}`);
      failures = 0;
      schedule(nextBeat());
    } catch (error) {
      failures++;
      onError(error);
      schedule(backoff());
    }
  };
  schedule(nextBeat());

  const shutdown = async ({ drain = true }: { drain?: boolean } = {}) => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    await leave({ ...options, service }, [...records.keys()], drain, onError);
    unlisten();
  };
  const unlisten = shutdownOnSignals(options, shutdown);
  return {
    get instances() {
      return [...registrations.keys()].map((id) => records.get(id)!);
    },
    shutdown,
  };
}

/** About a third of the lease, ±20 % so a fleet restarted together does not heartbeat in lockstep. */
function beatDelay(leaseMs: number, random: () => number): number {
  return (leaseMs / 3) * (0.8 + 0.4 * random());
}

/** After `failures` failed attempts: exponential from 500 ms, at most a third of the lease and {@link MAX_BACKOFF_MS}, jittered. */
function backoffDelay(leaseMs: number, failures: number, random: () => number): number {
  return Math.min(MAX_BACKOFF_MS, leaseMs / 3 || MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 10)) * (0.5 + random() / 2);
}

/**
 * How an agent leaves: drains its instances (when asked) and waits `drainSeconds` for callers to notice, then
 * deregisters them; one already gone (404) is not an error.
 */
async function leave(
  options: Pick<AgentOptions, 'client' | 'service' | 'drainSeconds'>,
  ids: readonly string[],
  drain: boolean,
  onError: (error: unknown) => void,
): Promise<void> {
  const { client, service } = options;
  if (drain) {
    await Promise.all(ids.map((id) => client.patch(service, id, { status: 'DRAINING' }).catch(onError)));
    await new Promise((resolve) => setTimeout(resolve, (options.drainSeconds ?? 10) * 1000));
  }
  await Promise.all(
    ids.map((id) =>
      client.deregister(service, id).catch((error: unknown) => {
        if (!(error instanceof RegistryApiError && error.status === 404)) onError(error);
      }),
    ),
  );
}

/** Shuts the agent down on SIGTERM or SIGINT (unless `handleSignals` is false); answers the function that stops listening. */
function shutdownOnSignals(options: Pick<AgentOptions, 'handleSignals' | 'onShutdown'>, shutdown: () => Promise<void>): () => void {
  const onSignal = () => {
    void shutdown().then(options.onShutdown ?? (() => process.exit(0)));
  };
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

/** A bulk result's refusal as the error a single call would have thrown, naming its instance. */
function refusal(result: {
  instanceId: string;
  status: number;
  error: { code: string; message: string; details?: RegistryApiError['details'] };
}): RegistryApiError {
  return new RegistryApiError(result.status, result.error.code, `${result.instanceId}: ${result.error.message}`, result.error.details);
}

/** Errors that waiting can cure: the registry unreachable or overloaded (5xx, 429), as opposed to a refusal. */
function isTransient(error: unknown): boolean {
  if (error instanceof RegistryUnavailableError) return true;
  return error instanceof RegistryApiError && (error.status >= 500 || error.status === 429);
}
