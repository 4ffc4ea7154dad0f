/**
 * Every Eureka REST route (`/eureka/v2/apps…` and `/eureka/apps…`, `…/vips/{vip}`): one function, dispatching on the
 * route key to one registry use case each. Writes go through `Registry.register/heartbeat/patch/deregister` (the
 * same validation, address policy, ownership and change events as the native API); reads through
 * `listServices/discover/get` (the same read scopes). The mapping lives in `lambdas/connectors/eureka.ts`.
 */
import { address as addressSchema, instanceId as instanceIdSchema, registerBody } from '@service-registry/contracts';
import { isIP } from 'node:net';
import type { AddressPolicy } from '../domain/address-policy.js';
import { ForbiddenError, InstanceNotFoundError, ValidationError } from '../domain/errors.js';
import type { InstanceKey } from '../domain/instance.js';
import type { Registry } from '../domain/registry.js';
import { parse } from '../http/validate.js';
import {
  delta,
  eurekaProblems,
  fromEurekaStatus,
  keepOverride,
  overrideOf,
  fullRegistry,
  parseStatus,
  planRegistration,
  readAll,
  readService,
  RESERVED_PREFIX,
  serviceOf,
  toApplications,
  toEurekaInstance,
  withOverride,
  type EurekaStatus,
} from '../connectors/eureka.js';
import { eurekaRouteIdOf, operationOf } from '../connectors/eureka-routes.js';
import { emptyResponse, eurekaResponse, readEurekaBody } from '../connectors/eureka-xml.js';
import { callerFrom } from '../http/caller.js';
import { type HttpResponse, RouteNotFoundError } from '../http/errors.js';
import { queryPairs } from '../http/query.js';
import { type EdgeDependencies, httpFunction, type HttpEvent } from '../http/route.js';
import type { Caller } from '../domain/caller.js';

export interface EurekaDeps extends EdgeDependencies {
  readonly registry: Registry;
  /** The registry's address policy and resolver, for {@link addressRefusal}. */
  readonly addressPolicy: AddressPolicy;
  readonly resolve: (hostname: string) => Promise<string[]>;
  /**
   * Why an address is refused (the registry's own policy), for the second of `hostName`/`ipAddr` that the registry
   * does not hold as the address but serves to Eureka clients. @default - {@link addressRefusal} of the policy
   */
  readonly refusal?: (address: string) => Promise<string | undefined>;
  readonly clock?: () => number;
}

/**
 * @example
 * export const handler = eurekaHandler(fromEnv());
 */
export function eurekaHandler(deps: EurekaDeps) {
  const refusal = deps.refusal ?? addressRefusal(deps.addressPolicy, deps.resolve);
  const clock = deps.clock ?? Date.now;
  const reg = deps.registry;

  const keyOf = (event: HttpEvent): InstanceKey => ({
    service: serviceOf(event.pathParameters?.app ?? ''),
    instanceId: parse(instanceIdSchema, event.pathParameters?.instanceId, 'path.instanceId'),
  });

  /**
   * Sets a Eureka status (the registry's status and the marker that keeps DOWN/STARTING/UNKNOWN) and the override
   * that outlives re-registrations (`override`, or none to remove it): one read, one write.
   */
  const setStatus = async (caller: Caller, key: InstanceKey, value: EurekaStatus, override: EurekaStatus | undefined): Promise<void> => {
    const current = await reg.get(caller, key);
    const metadata = withOverride(current.metadata, override, value);
    const changed = Object.keys({ ...metadata, ...current.metadata }).some((k) => metadata[k] !== current.metadata[k]);
    await reg.patch(caller, key, { status: fromEurekaStatus(value).status, ...(changed && { metadata }) });
  };

  /** The override in force on a live instance, if any (none when it is gone, or the caller may not read it). */
  const overrideInForce = async (caller: Caller, key: InstanceKey): Promise<EurekaStatus | undefined> => {
    try {
      return overrideOf((await reg.get(caller, key)).metadata);
    } catch (error) {
      if (error instanceof InstanceNotFoundError || error instanceof ForbiddenError) return undefined;
      throw error;
    }
  };

  const operations: Record<string, (event: HttpEvent, caller: Caller) => Promise<HttpResponse>> = {
    Register: async (event, caller) => {
      const reported = planRegistration(event.pathParameters?.app ?? '', readEurekaBody(event));
      const key = { service: reported.service, instanceId: reported.instanceId };
      // Eureka keeps an operator's override across the client's re-registrations; so does this (a read first: the
      // override is not atomic with the write, a `DELETE …/status` racing a re-registration may be undone).
      const override = await overrideInForce(caller, key);
      const plan = override ? keepOverride(reported, override) : reported;
      try {
        if (plan.secondaryAddress) {
          parse(addressSchema, plan.secondaryAddress.value, plan.secondaryAddress.field);
          const refused = await refusal(plan.secondaryAddress.value);
          if (refused) throw new ValidationError([{ field: plan.secondaryAddress.field, message: refused }]);
        }
        // A status other than UP (OUT_OF_SERVICE, DOWN, STARTING) is part of the one registering write: the instance
        // is never in rotation in between.
        await reg.register(caller, key, parse(registerBody, { ...plan.body, ...(plan.status && { status: plan.status.status }) }, 'body'));
      } catch (error) {
        if (error instanceof ValidationError) throw new ValidationError(eurekaProblems(error.problems, plan.addressField));
        throw error;
      }
      return emptyResponse(204);
    },
    // Renews the lease; 404 (gone or expired) is what makes a Eureka client register again. The Java client's
    // `status` and `lastDirtyTimestamp` query parameters are accepted and not used (statuses arrive by registration).
    Heartbeat: async (event, caller) => {
      await reg.heartbeat(caller, keyOf(event));
      return emptyResponse(200);
    },
    // 200, not the native 204: eureka-js-client treats anything but 200 as a failed deregistration.
    Deregister: async (event, caller) => {
      await reg.deregister(caller, keyOf(event));
      return emptyResponse(200);
    },
    SetStatus: async (event, caller) => {
      const key = keyOf(event);
      const value = parseStatus(single(event, 'value'), 'query.value');
      await setStatus(caller, key, value, value);
      return emptyResponse(200);
    },
    // Eureka's "remove the override": the instance is UP again (or `?value=` if given), and re-registrations set
    // the status they carry again.
    ClearStatus: async (event, caller) => {
      const key = keyOf(event);
      const value = single(event, 'value');
      await setStatus(caller, key, value === undefined ? 'UP' : parseStatus(value, 'query.value'), undefined);
      return emptyResponse(200);
    },
    SetMetadata: async (event, caller) => {
      const key = keyOf(event);
      const pairs = queryPairs(event);
      if (pairs.length === 0) throw new ValidationError([{ field: 'query', message: 'give at least one key=value to set' }]);
      const reserved = pairs.filter(([k]) => k.startsWith(RESERVED_PREFIX));
      if (reserved.length > 0)
        throw new ValidationError(
          reserved.map(([k]) => ({ field: `query.${k}`, message: `keys starting '${RESERVED_PREFIX}' are reserved for the Eureka mapping` })),
        );
      const current = await reg.get(caller, key);
      try {
        await reg.patch(caller, key, { metadata: { ...current.metadata, ...Object.fromEntries(pairs) } });
      } catch (error) {
        if (error instanceof ValidationError)
          throw new ValidationError(error.problems.map((p) => ({ field: p.field.replace(/^body\.metadata/, 'query'), message: p.message })));
        throw error;
      }
      return emptyResponse(200);
    },
    Apps: async (event, caller) => eurekaResponse(event, 200, fullRegistry(await readAll(reg, caller))),
    Delta: async (event, caller) => eurekaResponse(event, 200, delta(await readAll(reg, caller), clock())),
    App: async (event, caller) => {
      const app = event.pathParameters?.app ?? '';
      // `GET /eureka/v2/apps/` (eureka-js-client's default `servicePath` ends in a slash): the full registry.
      if (app === '') return operations.Apps!(event, caller);
      const instances = await readService(reg, caller, serviceOf(app));
      if (instances.length === 0) throw new RouteNotFoundError(`no application '${app}': service '${serviceOf(app)}' has no live instance`);
      return eurekaResponse(event, 200, { application: toApplications(instances)[0]! });
    },
    Instance: async (event, caller) => eurekaResponse(event, 200, { instance: toEurekaInstance(await reg.get(caller, keyOf(event))) }),
    Vip: async (event, caller) => byVip(event, caller, 'vipAddress', event.pathParameters?.vip ?? ''),
    SecureVip: async (event, caller) => byVip(event, caller, 'secureVipAddress', event.pathParameters?.svip ?? ''),
  };

  /** The instances whose (secure) VIP list names `vip`, as Eureka's `/vips` answers: an applications document. */
  const byVip = async (event: HttpEvent, caller: Caller, field: 'vipAddress' | 'secureVipAddress', vip: string) => {
    const all = await readAll(reg, caller);
    const matching = all.filter((i) => (toEurekaInstance(i)[field] ?? '').split(',').includes(vip));
    return eurekaResponse(event, 200, fullRegistry(matching));
  };

  return httpFunction(
    deps,
    (event) => eurekaRouteIdOf(event.routeKey),
    async (event) => {
      const operation = operationOf(event.routeKey);
      const run = operation && operations[operation.name];
      if (!run) throw new RouteNotFoundError(`no Eureka route for ${event.routeKey}`);
      return run(event, callerFrom(event, deps.adminPrincipals));
    },
  );
}

/** A query parameter given at most once. */
function single(event: HttpEvent, name: string): string | undefined {
  const values = queryPairs(event)
    .filter(([k]) => k === name)
    .map(([, v]) => v);
  if (values.length > 1) throw new ValidationError([{ field: `query.${name}`, message: 'may be given only once' }]);
  return values[0];
}

/**
 * The registry's address policy, applied as `Registry.register` applies it (a name is resolved and each address
 * checked).
 */
export function addressRefusal(policy: AddressPolicy, resolve: (hostname: string) => Promise<string[]>) {
  return async (address: string): Promise<string | undefined> => {
    if (isIP(address)) return policy.refusal(address);
    const resolved = await resolve(address).catch(() => [] as string[]);
    for (const ip of resolved) {
      const refused = policy.refusal(ip);
      if (refused) return `${address} resolves to a refused address: ${refused}`;
    }
    return undefined;
  };
}
