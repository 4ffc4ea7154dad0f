/**
 * The publisher's dependencies in AWS: the EventBridge bus named by the environment, and the table (`TABLE_NAME`)
 * whose service counters it keeps from the stream. Its own module, so only the publisher's bundle carries the
 * EventBridge client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbInstanceStore } from '../adapters/dynamodb-store.js';
import { EventBridgeSink } from '../adapters/eventbridge-sink.js';
import type { PublisherDependencies } from '../functions/publisher.js';
import { loadPublisherConfig, required } from './config.js';
import { observabilityFromEnv } from './observability.js';

/**
 * @example
 * export const handler = publisherHandler(publisherFromEnv());
 */
export function publisherFromEnv(env: NodeJS.ProcessEnv = process.env): PublisherDependencies {
  const config = loadPublisherConfig(env);
  const counters = new DynamoDbInstanceStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), required(env, 'TABLE_NAME'));
  return { ...observabilityFromEnv(env), sink: new EventBridgeSink(new EventBridgeClient({}), config.busName, config.source), counters };
}
