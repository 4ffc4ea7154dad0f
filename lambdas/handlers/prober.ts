/**
 * The scheduled prober and lease sweeper (AWS: every minute). One invocation runs rounds every
 * `REGISTRY_PROBE_INTERVAL_SECONDS` until shortly before its deadline, holding its shard's lock throughout.
 * The event may carry `{ "shard": n, "shards": m }` to run one slice of the services (several schedules).
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { AddressPolicy } from '../domain/address-policy.js';
import { Prober, type RoundReport } from '../domain/prober.js';
import { reportRound, runRounds } from '../domain/prober-loop.js';
import { describeProtection } from '../domain/protection.js';
import { DynamoDbProberLock, DynamoDbProberStore } from '../adapters/dynamodb-prober-store.js';
import { createProbe } from '../adapters/probe-client.js';
import { loadProberConfig } from '../shared/config.js';
import { logger, telemetry } from '../shared/powertools.js';
import { config, documentClient, resolveAll } from '../shared/registry.js';

const proberConfig = loadProberConfig();

interface ProberEvent {
  readonly shard?: number;
  readonly shards?: number;
}

function report(round: RoundReport): void {
  reportRound(telemetry, round);
  // Once per change of the guard's state (also across execution environments: the prober reads the recorded state
  // at the start of every invocation), not on every round it stays engaged.
  if (round.protectionChanged) logger.warn(describeProtection(round.protection), { protection: round.protection });
  else logger.debug('probe round', { round });
}

// Streaks live in memory between rounds; a warm container keeps them across invocations too.
const probers = new Map<string, Prober>();

export const handler = middy<ProberEvent, { rounds: number; locked: boolean }, Error, Context>().handler(async (event, context) => {
  const shard = event.shard ?? proberConfig.shard;
  const shards = event.shards ?? proberConfig.shards;
  const id = `${shard}/${shards}`;
  let prober = probers.get(id);
  // The first invocation of this process for the shard: a lock still held under our own holder identity belongs
  // to a predecessor that is dead (this process is its restart), so it need not wait for it to run out.
  const fresh = prober === undefined;
  if (!prober) {
    const policy = new AddressPolicy({ allowLoopback: config.allowLoopback, allowCidrs: config.allowCidrs });
    prober = new Prober(
      { store: new DynamoDbProberStore(documentClient, config.tableName), probe: createProbe(policy, resolveAll) },
      {
        concurrency: proberConfig.concurrency,
        maxProbesPerEndpoint: proberConfig.maxProbesPerEndpoint,
        shard,
        shards,
        protection: {
          probeFailureShare: proberConfig.probeFailureShare,
          leaseExpiryShare: proberConfig.leaseExpiryShare,
          minPopulation: proberConfig.minPopulation,
          maxLeaseProtectionSeconds: proberConfig.maxLeaseProtectionSeconds,
        },
      },
    );
    probers.set(id, prober);
  }
  return runRounds(prober, new DynamoDbProberLock(documentClient, config.tableName, shard, proberConfig.holder), Date.now, {
    roundIntervalMs: proberConfig.roundIntervalSeconds * 1000,
    remainingMs: () => context.getRemainingTimeInMillis(),
    owner: context.awsRequestId,
    takeOverOwnHolder: fresh && proberConfig.holder !== undefined,
    onRound: report,
  });
});
