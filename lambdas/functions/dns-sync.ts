/**
 * Keeps the registry's DNS view (lambdas/connectors/dns.ts) in a Route 53 private hosted zone. Two kinds of
 * invocation (the construct's `dns` option, packages/cdk/src/dns.ts, wires both):
 * - an SQS batch of change events (EventBridge rule → queue → this function, with a batching window and reserved
 *   concurrency 1): every service the batch names is recomputed once, from the table, and only what differs from the
 *   zone is sent, in one ChangeResourceRecordSets request per batch (more only when a batch exceeds Route 53's limits);
 * - the schedule (every 5 minutes): a full reconcile, so an event missed or lost heals, and the records of services
 *   that no longer exist go.
 *
 * The zone's Route 53 limits and retries are the adapter's (lambdas/adapters/route53-zone.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent, SQSEvent } from 'aws-lambda';
import { reconcileDns, syncDnsServices, type DnsSyncDeps, type DnsSyncReport } from '../connectors/dns.js';
import type { Telemetry } from '../domain/telemetry.js';

/** The sync's dependencies: the DNS view's (registry, caller, zone, options) and where it logs and reports. */
export interface DnsSyncDependencies extends DnsSyncDeps {
  readonly logger: Logger;
  readonly telemetry: Telemetry;
}

/** What an event on the queue says needs recomputing: its services, or everything (`'all'`). */
function touched(body: string, logger: Pick<Logger, 'warn'>): readonly string[] | 'all' {
  let event: { 'detail-type'?: unknown; detail?: { service?: unknown; services?: unknown } };
  try {
    event = JSON.parse(body) as typeof event;
  } catch {
    logger.warn('ignored a message that is not an EventBridge event');
    return [];
  }
  const type = String(event['detail-type'] ?? '');
  // The guard's engagement or release changes which expired leases reads keep, for every service of a shard.
  if (type.startsWith('Registry Protection')) return 'all';
  const { service, services } = event.detail ?? {};
  if (typeof service === 'string') return [service];
  if (Array.isArray(services)) return services.filter((s): s is string => typeof s === 'string');
  return [];
}

/**
 * The handler over its dependencies: the sync of a batch, or a full reconcile for anything that is not a batch.
 *
 * @example
 * export const handler = dnsSyncHandler(dnsSyncFromEnv());
 */
export function dnsSyncHandler(deps: DnsSyncDependencies) {
  const { logger, telemetry } = deps;
  return middy<SQSEvent | ScheduledEvent, DnsSyncReport>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      let result: DnsSyncReport;
      if ('Records' in event && Array.isArray(event.Records)) {
        const services = new Set<string>();
        let all = false;
        for (const record of event.Records) {
          const names = touched(record.body, logger);
          if (names === 'all') all = true;
          else for (const name of names) services.add(name);
        }
        result = all ? await reconcileDns(deps) : await syncDnsServices(deps, services);
        logger.info('dns sync', { messages: event.Records.length, reconcile: all, ...result });
      } else {
        result = await reconcileDns(deps);
        logger.info('dns reconcile', { ...result });
      }
      telemetry.count('DnsRecordSetsChanged', {}, result.upserts + result.deletes);
      telemetry.count('DnsChangeRequests', {}, result.requests);
      telemetry.flush();
      return result;
    });
}
