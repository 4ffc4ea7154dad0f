/**
 * The local runtime's sink for the writing functions' fast path: the entries EventBridgeSink would send, handed to
 * the local bus in-process (`LocalEventBus.accept`, the PutEvents listener's own code: same envelope, same faults),
 * without the SDK and the loopback request, which cost the acknowledged write CPU the bus does not need. The stream
 * publisher keeps the real `@aws-sdk/client-eventbridge` path, which is what the local runtime proves.
 */
import { entryOutcome, putEventsEntry } from '../lambdas/adapters/eventbridge-sink.js';
import type { ChangeEvent } from '../lambdas/domain/events.js';
import type { EventSink, PutOutcome } from '../lambdas/domain/publisher.js';
import type { LocalEventBus } from './event-bus.js';

/**
 * @example
 * const sink = new LocalBusSink(bus, 'service-registry', 'service-registry');
 */
export class LocalBusSink implements EventSink {
  constructor(
    private readonly bus: LocalEventBus,
    private readonly busName: string,
    private readonly source: string,
  ) {}

  async put(events: readonly ChangeEvent[]): Promise<PutOutcome[]> {
    return this.bus.accept(events.map((event) => putEventsEntry(event, this.busName, this.source))).map(entryOutcome);
  }
}
