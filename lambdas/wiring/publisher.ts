/** The publisher's dependencies in AWS: the EventBridge bus named by the environment (its own module, so only the publisher's bundle carries the EventBridge client). */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeSink } from '../adapters/eventbridge-sink.js';
import type { PublisherDependencies } from '../functions/publisher.js';
import { loadPublisherConfig } from './config.js';
import { observabilityFromEnv } from './observability.js';

/**
 * @example
 * export const handler = publisherHandler(publisherFromEnv());
 */
export function publisherFromEnv(env: NodeJS.ProcessEnv = process.env): PublisherDependencies {
  const config = loadPublisherConfig(env);
  return { ...observabilityFromEnv(env), sink: new EventBridgeSink(new EventBridgeClient({}), config.busName, config.source) };
}
