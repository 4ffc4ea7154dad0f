/** EventBridge adapter of the publisher's sink: one PutEvents call per chunk, per-entry outcomes. */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ChangeEvent } from '../domain/events.js';
import type { EventSink, PutOutcome } from '../domain/publisher.js';

/** Per-entry error codes worth another try; anything else (validation, access) will not get better. */
const RETRYABLE = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable', 'ServiceUnavailableException']);

export class EventBridgeSink implements EventSink {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly source: string,
  ) {}

  async put(events: readonly ChangeEvent[]): Promise<PutOutcome[]> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({
          EventBusName: this.busName,
          Source: this.source,
          DetailType: event.detailType,
          Detail: JSON.stringify(event.detail),
          Time: new Date(event.detail.time),
        })),
      }),
    );
    return events.map((_, i) => {
      const entry = out.Entries?.[i];
      if (entry && !entry.ErrorCode) return { ok: true };
      const code = entry?.ErrorCode ?? 'MissingEntry';
      return { ok: false, retryable: RETRYABLE.has(code) || !entry, error: `${code}: ${entry?.ErrorMessage ?? 'no result for entry'}` };
    });
  }
}
