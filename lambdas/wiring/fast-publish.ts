/**
 * The writing functions' dependencies in AWS (register, bulk register, patch, deregister): those of every HTTP
 * function plus, when `REGISTRY_FAST_PUBLISH` is on (the construct's `fastPublish`, its default), the fast path of
 * change events to the bus named by `EVENT_BUS_NAME`. Its own module, so only these functions' bundles carry the
 * EventBridge client, and only their roles may put events.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeSink } from '../adapters/eventbridge-sink.js';
import { type ChangeNotifier, FastPublisher } from '../domain/fast-publish.js';
import type { EventSink } from '../domain/publisher.js';
import type { Telemetry } from '../domain/telemetry.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { flag, loadPublisherConfig } from './config.js';
import { createDependencies, type Dependencies } from './dependencies.js';
import { platformFromEnv } from './platform.js';

/**
 * The fast path over a sink: failures are counted (`FastPublishFailures`) and logged as a warning, never thrown (the
 * stream publisher delivers the event).
 *
 * @example
 * const notifier = fastNotifier(new EventBridgeSink(client, 'registry', 'service-registry'), { logger, telemetry });
 */
export function fastNotifier(sink: EventSink, { logger, telemetry }: { readonly logger: Logger; readonly telemetry: Telemetry }): ChangeNotifier {
  return new FastPublisher(sink, {
    telemetry,
    onFailure: (failure) => logger.warn('change events not published at once; the stream publisher will publish them', failure),
  });
}

/**
 * @example
 * export const handler = registerHandler(writerFromEnv());
 */
export function writerFromEnv(env: NodeJS.ProcessEnv = process.env): Dependencies {
  const platform = platformFromEnv(env);
  if (!flag(env, 'REGISTRY_FAST_PUBLISH', false)) return createDependencies(platform);
  const { busName, source } = loadPublisherConfig(env);
  return createDependencies(platform, { notifier: fastNotifier(new EventBridgeSink(new EventBridgeClient({}), busName, source), platform) });
}
