/**
 * The prober and lease sweeper: one round per invocation, billed only for probe time.
 *
 * AWS: an EventBridge rule invokes it every minute (`{ "shard": n, "shards": m }`); that invocation first leaves the
 * minute's later rounds in the prober's SQS queue as delayed messages (one SendMessageBatch request: 10, 20, … 50 s
 * at 10 s rounds), then runs round 0. The queue's event source invokes it again for each message, one round each.
 * Every round takes the shard's lock, which refuses a round sooner than a round interval after the last one, so a
 * duplicated or late message never probes twice nor too soon (lambdas/domain/prober-loop.ts `runRound`); after the
 * round it stays only while a target is failing, re-probing it every `REGISTRY_PROBE_RETRY_SECONDS` until it is
 * confirmed or passes, never past the next round. The minute's schedule is also the watchdog: a broken chain of
 * messages costs the rest of one minute's rounds, never more. With `REGISTRY_PROBE_SCHEDULE_ONLY` (the construct's
 * schedule function when the prober runs in a VPC) a scheduled invocation queues round 0 as well and probes nothing.
 *
 * Why this design (issue #16): the earlier invocation stayed alive ~60 s running 10 s rounds, ~$8.9 a month at
 * 256 MB whatever the fleet. Here each invocation is billed for its round only (a steady round of 10 targets took
 * 27-43 ms of CPU in process, 1,000 targets 220-290 ms, on a shared x86 machine), and the queue costs its
 * requests: one SendMessageBatch a minute, a receive and a delete per round message, and the event source's idle
 * long polls (Lambda polls a standard queue with up to five, at low traffic as few as two, 20 s long polls:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html): 0.26-0.65 million idle receives, 0.04
 * million sends and 0.43 million receives and deletes of round messages a month, $0.29-0.45 at $0.40 per million.
 * A self-rescheduling message per round would send five requests a minute instead of one; an EventBridge schedule
 * per round is not possible (one minute is the finest rate, with no offset in seconds); Step Functions wait states
 * cost $25 per million transitions (~$13 a month at six rounds a minute).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent } from 'aws-lambda';
import { DynamoDbProberLock, DynamoDbProberStore } from '../adapters/dynamodb-prober-store.js';
import { createProbe } from '../adapters/probe-client.js';
import { Prober, type RoundReport } from '../domain/prober.js';
import { laterRounds, reportRetry, reportRound, runRound } from '../domain/prober-loop.js';
import type { RoundMessage, RoundQueue } from '../domain/prober-ports.js';
import { describeProtection } from '../domain/protection.js';
import type { ProberConfig } from '../wiring/config.js';
import type { Platform } from '../wiring/platform.js';

/** What the prober needs: the platform (table, address policy, resolver, logging), its configuration and its queue. */
export interface ProberDependencies extends Platform {
  readonly prober: ProberConfig;
  /**
   * Where the scheduled invocation leaves the minute's later rounds.
   * @default - none: one round per scheduled invocation (a minute apart)
   */
  readonly rounds?: RoundQueue;
}

/** The schedule's event (EventBridge passes the rule's input), or a batch of round messages from the queue. */
type ProberEvent = { readonly shard?: number; readonly shards?: number; readonly Records?: undefined } | SQSEvent;

/** What one invocation did: rounds run, whether the lock stayed taken, and the queue requests it sent. */
export interface ProberResult {
  readonly rounds: number;
  readonly locked: boolean;
  /** SendMessageBatch requests of the scheduled invocation (0 for a round message). */
  readonly enqueueRequests: number;
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
  const proberOf = (shard: number, shards: number) => {
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
    return { prober, fresh };
  };

  const round = (shard: number, shards: number, context: Context) => {
    const { prober, fresh } = proberOf(shard, shards);
    return runRound(prober, new DynamoDbProberLock(documentClient, tableName, shard, config.holder), Date.now, {
      roundIntervalMs: config.roundIntervalSeconds * 1000,
      retryIntervalMs: config.retryIntervalSeconds * 1000,
      remainingMs: () => context.getRemainingTimeInMillis(),
      owner: context.awsRequestId,
      takeOverOwnHolder: fresh && config.holder !== undefined,
      // One lock write a round in a steady fleet: the lock runs out when the next round may start.
      shortHold: true,
      onRound: report,
      onRetry: (retry) => {
        reportRetry(telemetry, retry);
        logger.debug('probe retry', { retry });
      },
    });
  };

  /**
   * The minute's later rounds (and round 0 too when `scheduleOnly`), before round 0 runs: they run even when this
   * invocation fails after sending them.
   */
  const enqueueRounds = async (shard: number, shards: number): Promise<number> => {
    if (!deps.rounds) return 0;
    const first = config.scheduleOnly ? 0 : 1;
    const delays = [...(config.scheduleOnly ? [0] : []), ...laterRounds(config.roundIntervalSeconds * 1000)];
    const messages = delays.map((delayMs, n) => ({ delayMs, message: { shard, shards, round: n + first } }));
    if (messages.length === 0) return 0;
    try {
      return (await deps.rounds.enqueue(messages)).requests;
    } catch (error) {
      // Round 0 still runs; the next minute's schedule sends the next minute's rounds.
      logger.error("could not queue the minute's later prober rounds", { error });
      return 1;
    }
  };

  return middy<ProberEvent, ProberResult, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event, context) => {
      if (event.Records === undefined) {
        const shard = event.shard ?? config.shard;
        const shards = event.shards ?? config.shards;
        const enqueueRequests = await enqueueRounds(shard, shards);
        if (config.scheduleOnly) return { rounds: 0, locked: false, enqueueRequests };
        return { ...(await round(shard, shards, context)), enqueueRequests };
      }
      // The event source sends one message at a time (batch size 1); more would run one after another, the lock
      // spacing them a round apart or dropping the extra ones.
      let rounds = 0;
      let locked = false;
      for (const record of event.Records) {
        const message = parseRoundMessage(record.body);
        if (!message) {
          // Dropped, not retried: a body that does not parse never will.
          logger.error('ignoring a prober queue message that is not a round', { messageId: record.messageId });
          continue;
        }
        const result = await round(message.shard, message.shards, context);
        rounds += result.rounds;
        locked ||= result.locked;
      }
      return { rounds, locked, enqueueRequests: 0 };
    });
}

/** The round message in `body`, or undefined when it is not one. */
export function parseRoundMessage(body: string): RoundMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const { shard, shards, round } = (value ?? {}) as Partial<Record<keyof RoundMessage, unknown>>;
  const whole = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min;
  if (!whole(shards, 1) || !whole(shard, 0) || shard >= shards || !whole(round, 0)) return undefined;
  return { shard, shards, round };
}
