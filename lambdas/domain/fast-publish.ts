/**
 * The fast path of change events: the function that made a change publishes its event right after the write
 * succeeded, instead of leaving it to the stream publisher alone (DynamoDB Streams → Lambda adds a poll and an
 * invocation: p50 ≈ 213 ms, p99 ≈ 552 ms in AWS; the 50 ms poll locally). The stream publisher stays the reliable
 * backstop and publishes the same change again a little later: **the same event**, because both sides build it with
 * the one classification ({@link classify}) from the same images and the same time, so its `eventId`
 * (`service/instanceId/revision`), `revision` and `detail` are equal, and subscribers drop the second copy by
 * `eventId` or `revision`.
 *
 * The fast publish never decides the outcome of the write: it is awaited, but for at most {@link
 * FAST_PUBLISH_TIMEOUT_MS}, and every failure (an entry error, a throw, the time running out) is only counted
 * (`FastPublishFailures`) and reported to `onFailure` — the stream publisher delivers the event regardless. Awaited
 * rather than fire-and-forget because Lambda freezes the execution environment when the handler returns: a request
 * left in flight would go out at the next invocation, or never. No retries: a retry would hold the acknowledgement
 * longer for an event the backstop sends anyway.
 */
import { classify, type ChangeEvent, type StoredChange } from './events.js';
import type { EventSink } from './publisher.js';
import type { Telemetry } from './telemetry.js';

/**
 * How long a write waits for its fast publish at most. EventBridge's PutEvents answers in tens of milliseconds in
 * the same region; past this bound the acknowledgement goes out anyway and the stream publisher delivers the event.
 */
export const FAST_PUBLISH_TIMEOUT_MS = 100;

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

/** What the registry's writes tell about the changes they made (the fast path; see the module doc). */
export interface ChangeNotifier {
  /** Publishes the events of changes just written; never throws, and returns within a bounded time. */
  notify(changes: readonly StoredChange[]): Promise<void>;
}

/** A notifier that publishes nothing: without a fast path, the stream publisher alone publishes. */
export const NO_NOTIFIER: ChangeNotifier = { notify: async () => undefined };

export interface FastPublisherOptions {
  readonly telemetry: Telemetry;
  /** Called once per failed notification, with what went wrong (the stream publisher still delivers). */
  readonly onFailure?: (failure: { readonly events: number; readonly errors: readonly string[] }) => void;
  /** @default - {@link FAST_PUBLISH_TIMEOUT_MS} */
  readonly timeoutMs?: number;
}

/**
 * Publishes change events through an {@link EventSink} right after the write (see the module doc).
 *
 * @example
 * const notifier = new FastPublisher(new EventBridgeSink(client, busName, source), { telemetry, onFailure: (f) => logger.warn('fast publish failed', f) });
 * const registry = new Registry({ store, addressPolicy, resolve, notifier });
 */
export class FastPublisher implements ChangeNotifier {
  constructor(
    private readonly sink: EventSink,
    private readonly options: FastPublisherOptions,
  ) {}

  async notify(changes: readonly StoredChange[]): Promise<void> {
    const events = changes.flatMap((change) => classify(change) ?? []);
    if (events.length === 0) return;
    const errors: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.options.timeoutMs ?? FAST_PUBLISH_TIMEOUT_MS;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const sent = Promise.all(chunks(events).map((chunk) => this.put(chunk, errors))).then((counts) => counts.reduce((a, b) => a + b, 0));
    const outcome = await Promise.race([sent, timedOut]);
    clearTimeout(timer);
    const failed = outcome === 'timeout' ? events.length : events.length - outcome;
    if (outcome === 'timeout') errors.push(`timed out after ${timeoutMs} ms`);
    if (failed === 0) return;
    this.options.telemetry.count('FastPublishFailures', {}, failed);
    this.options.onFailure?.({ events: failed, errors: errors.slice(0, 10) });
  }

  /** One PutEvents call; returns how many entries went out, adding the errors of the others. */
  private async put(events: readonly ChangeEvent[], errors: string[]): Promise<number> {
    try {
      const outcomes = await this.sink.put(events);
      for (const outcome of outcomes) if (!outcome.ok) errors.push(outcome.error);
      return outcomes.filter((outcome) => outcome.ok).length;
    } catch (error) {
      errors.push((error as Error).name || String(error));
      return 0;
    }
  }
}

/** Events in PutEvents-sized calls. A batch's events are of distinct instances (one write each), so order holds. */
function chunks(events: readonly ChangeEvent[]): ChangeEvent[][] {
  const out: ChangeEvent[][] = [];
  for (let i = 0; i < events.length; i += MAX_ENTRIES) out.push(events.slice(i, i + MAX_ENTRIES));
  return out;
}
