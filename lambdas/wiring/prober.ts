/** The prober's dependencies in AWS: the platform, the prober's own configuration and its round queue, read once. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsRoundQueue } from '../adapters/sqs-round-queue.js';
import type { ProberDependencies } from '../functions/prober.js';
import { loadProberConfig } from './config.js';
import { platformFromEnv } from './platform.js';

/**
 * `REGISTRY_PROBE_QUEUE_URL` names the queue of the minute's later rounds (the construct sets it); without it each
 * scheduled invocation runs one round.
 *
 * @example
 * export const handler = proberHandler(proberFromEnv());
 */
export function proberFromEnv(env: NodeJS.ProcessEnv = process.env): ProberDependencies {
  const queueUrl = env.REGISTRY_PROBE_QUEUE_URL?.trim();
  return { ...platformFromEnv(env), prober: loadProberConfig(env), ...(queueUrl && { rounds: new SqsRoundQueue(new SQSClient({}), queueUrl) }) };
}
