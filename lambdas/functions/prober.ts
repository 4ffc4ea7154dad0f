/**
 * The scheduled prober and lease sweeper (AWS: every minute). One invocation runs rounds every
 * `REGISTRY_PROBE_INTERVAL_SECONDS` until shortly before its deadline, holding its shard's lock throughout, and
 * between them re-probes failing targets every `REGISTRY_PROBE_RETRY_SECONDS`.
 * The event may carry `{ "shard": n, "shards": m }` to run one slice of the services (several schedules).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DynamoDbProberLock, DynamoDbProberStore } from '../adapters/dynamodb-prober-store.js';
import { createProbe } from '../adapters/probe-client.js';
import { Prober, type RoundReport } from '../domain/prober.js';
import { reportRetry, reportRound, runRounds } from '../domain/prober-loop.js';
import { describeProtection } from '../domain/protection.js';
import type { ProberConfig } from '../wiring/config.js';
import type { Platform } from '../wiring/platform.js';

/** What the prober needs: the platform (table, address policy, resolver, logging) and its own configuration. */
export interface ProberDependencies extends Platform {
  readonly prober: ProberConfig;
}

interface ProberEvent {
  readonly shard?: number;
  readonly shards?: number;
}

/**
 * @example
 * export const handler = proberHandler(proberFromEnv());
 */
export function proberHandler(deps: ProberDependencies) {
  const { prober: config, logger, telemetry, documentClient } = deps;
  const tableName = deps.config.tableName;
  const probe = createProbe(deps.addressPolicy, deps.resolve);

  function report(round: RoundReport): void {
    reportRound(telemetry, round);
    // Once per change of the guard's state (also across execution environments: the prober reads the recorded state
    // at the start of every invocation), not on every round it stays engaged.
    if (round.protectionChanged) logger.warn(describeProtection(round.protection), { protection: round.protection });
    else logger.debug('probe round', { round });
  }

  // Streaks live in memory between rounds; a warm container keeps them across invocations too.
  const probers = new Map<string, Prober>();

  return middy<ProberEvent, { rounds: number; locked: boolean }, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event, context) => {
      const shard = event.shard ?? config.shard;
      const shards = event.shards ?? config.shards;
      const id = `${shard}/${shards}`;
      let prober = probers.get(id);
      // The first invocation of this process for the shard: a lock still held under our own holder identity belongs
      // to a predecessor that is dead (this process is its restart), so it need not wait for it to run out.
      const fresh = prober === undefined;
      if (!prober) {
        prober = new Prober(
          { store: new DynamoDbProberStore(documentClient, tableName), probe },
          {
            concurrency: config.concurrency,
            maxProbesPerEndpoint: config.maxProbesPerEndpoint,
            shard,
            shards,
            protection: {
              probeFailureShare: config.probeFailureShare,
              leaseExpiryShare: config.leaseExpiryShare,
              minPopulation: config.minPopulation,
              maxLeaseProtectionSeconds: config.maxLeaseProtectionSeconds,
            },
          },
        );
        probers.set(id, prober);
      }
      return runRounds(prober, new DynamoDbProberLock(documentClient, tableName, shard, config.holder), Date.now, {
        roundIntervalMs: config.roundIntervalSeconds * 1000,
        retryIntervalMs: config.retryIntervalSeconds * 1000,
        remainingMs: () => context.getRemainingTimeInMillis(),
        owner: context.awsRequestId,
        takeOverOwnHolder: fresh && config.holder !== undefined,
        onRound: report,
        onRetry: (retry) => {
          reportRetry(telemetry, retry);
          logger.debug('probe retry', { retry });
        },
      });
    });
}
