/** EventBridge adapter of the publisher's sink: one PutEvents call per chunk, per-entry outcomes. */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ChangeEvent } from '../domain/events.js';
import type { EventSink, PutOutcome } from '../domain/publisher.js';

/**
 * The PutEvents entry of one change event (the local runtime's in-process sink builds the same entries).
 *
 * @example
 * putEventsEntry(event, 'registry', 'service-registry').DetailType; // => 'Instance Registered'
 */
export function putEventsEntry(event: ChangeEvent, busName: string, source: string) {
  return {
    EventBusName: busName,
    Source: source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: new Date(event.detail.time),
  } satisfies PutEventsRequestEntry;
}

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
        Entries: events.map((event) => putEventsEntry(event, this.busName, this.source)),
      }),
    );
    return events.map((_, i) => entryOutcome(out.Entries?.[i]));
  }
}

/**
 * The outcome of one PutEvents result entry (absent when the answer had none for it: retried).
 *
 * @example
 * entryOutcome({ ErrorCode: 'ThrottlingException' }); // => { ok: false, retryable: true, error: 'ThrottlingException: …' }
 */
export function entryOutcome(entry: { readonly ErrorCode?: string; readonly ErrorMessage?: string } | undefined): PutOutcome {
  if (entry && !entry.ErrorCode) return { ok: true };
  const code = entry?.ErrorCode ?? 'MissingEntry';
  return { ok: false, retryable: RETRYABLE.has(code) || !entry, error: `${code}: ${entry?.ErrorMessage ?? 'no result for entry'}` };
}
