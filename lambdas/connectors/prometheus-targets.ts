/**
 * The Prometheus HTTP SD answer, read in full: every page of every service the query names, or of every service the
 * caller may read, through the registry's own `discover` and `listServices`, so read scoping, the lease guard and
 * health filtering are the registry's, not re-implemented here. Kept within what a Lambda response can carry.
 */
import pMap from 'p-map';
import type { DiscoveryQuery } from '@service-registry/contracts';
import type { Caller } from '../domain/caller.js';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import type { DiscoveryResult } from '../domain/registry.js';
import { groupBytes, MAX_ANSWER_BYTES, targetGroupOf, type PrometheusSdQuery, type TargetGroup } from './prometheus.js';

/** What {@link collectTargetGroups} needs of the registry: its own reads, with their scoping and protection. */
export interface TargetSource {
  discover(caller: Caller, service: string, query: DiscoveryQuery, meta: Record<string, string>): Promise<DiscoveryResult>;
  listServices(caller: Caller, after: string | undefined, limit: number): Promise<{ services: readonly { service: string }[]; cursor?: string }>;
}

export interface CollectOptions {
  /** Most bytes the answer may take. @default - {@link MAX_ANSWER_BYTES} */
  readonly maxBytes?: number;
  /** Services read at once. @default 8 */
  readonly concurrency?: number;
}

/** Largest page discovery and the service list serve. */
const PAGE = 1000;

/**
 * Every target group the query matches, across every page of every service: the services named by `service=` (a
 * service the caller may not read is a 403 naming it, from the registry), or every service the caller may read.
 * Groups come ordered by service, then instance id. Fails with a 400 (`query`) rather than answer a partial list when
 * the groups would not fit in {@link CollectOptions.maxBytes}.
 *
 * @example
 * const groups = await collectTargetGroups(registry, caller, prometheusSdQuery.parse({ service: ['orders'] }));
 */
export async function collectTargetGroups(
  source: TargetSource,
  caller: Caller,
  query: PrometheusSdQuery,
  options: CollectOptions = {},
): Promise<TargetGroup[]> {
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  let bytes = 2; // `[` and `]`
  let tooLarge = false;
  const ofService = async (service: string): Promise<TargetGroup[]> => {
    const groups: TargetGroup[] = [];
    let cursor: string | undefined;
    do {
      // `tooLarge` stops every service's reads once one has gone over: the answer is an error either way.
      if (tooLarge) return groups;
      const page = await source.discover(caller, service, { status: query.status, zone: query.zone, tag: query.tag, limit: PAGE, cursor }, {});
      for (const instance of page.instances) {
        const group = targetGroupOf(instance);
        bytes += groupBytes(group);
        if (bytes > maxBytes) tooLarge = true;
        groups.push(group);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return groups;
  };

  const services = query.service.length > 0 ? [...new Set(query.service)] : await readableServices(source, caller);
  // Settle every service before judging, so the 403 names the first forbidden service in the order given, whatever
  // finished first.
  const settled = await pMap(
    services,
    (service) =>
      ofService(service).then(
        (groups) => ({ groups }),
        (error: unknown) => ({ error }),
      ),
    {
      concurrency: options.concurrency ?? 8,
    },
  );
  const failed = settled.find((s): s is { error: unknown } => 'error' in s && s.error instanceof ForbiddenError) ?? settled.find((s) => 'error' in s);
  if (failed && 'error' in failed) throw failed.error;
  if (tooLarge) {
    throw new ValidationError([
      {
        field: 'query',
        message:
          `the target list is over ${maxBytes} bytes, more than a Lambda response can carry; ` +
          'split it across several http_sd_configs with service=, zone= or tag=',
      },
    ]);
  }
  return settled.flatMap((s) => ('groups' in s ? s.groups : []));
}

/** Every service the caller may read, across every page of the service list (the registry applies the read scope). */
async function readableServices(source: TargetSource, caller: Caller): Promise<string[]> {
  const services: string[] = [];
  let after: string | undefined;
  do {
    const page = await source.listServices(caller, after, PAGE);
    services.push(...page.services.map((s) => s.service));
    after = page.cursor;
  } while (after !== undefined);
  return services;
}
