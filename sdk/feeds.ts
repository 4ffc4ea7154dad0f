/**
 * Change feeds behind one interface: the local runtime's Server-Sent Events (`GET /v1/events`, resumed with
 * `Last-Event-ID` after a reconnect) and, in AWS, an SQS queue fed by an EventBridge rule (the construct's
 * `addSubscriber`): long polling, deleting each message once applied.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { InstanceEventDetail } from '../lambdas/domain/events.js';
import { readSse } from './sse.js';

/** A change event as delivered (the EventBridge envelope). */
export interface RegistryEvent {
  readonly id: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: InstanceEventDetail | (Record<string, unknown> & { service?: undefined });
}

export interface FeedHandlers {
  /** Apply one event. A throw leaves it unacknowledged (SQS redelivers it). */
  onEvent(event: RegistryEvent): void;
  /** Events may have been missed (buffer overrun, long disconnect): resync from discovery. */
  onGap(): void;
}

export interface ChangeFeed {
  start(handlers: FeedHandlers): void;
  stop(): Promise<void>;
}

/**
 * @example
 * const feed = new SseFeed({ baseUrl: 'http://127.0.0.1:4000', services: ['orders'] });
 */
export class SseFeed implements ChangeFeed {
  private controller?: AbortController;
  private loop?: Promise<void>;
  private lastEventId?: string;

  constructor(private readonly options: { baseUrl: string; services?: readonly string[]; headers?: () => Promise<Record<string, string>> | Record<string, string> }) {}

  start(handlers: FeedHandlers): void {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.loop = (async () => {
      let failures = 0;
      while (!signal.aborted) {
        try {
          await this.read(handlers, signal);
          failures = 0;
        } catch {
          if (signal.aborted) return;
          failures++;
        }
        if (signal.aborted) return;
        // Reconnect with backoff; `Last-Event-ID` replays what was missed (or the server says it cannot: a gap).
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(failures, 6))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
  }

  private async read(handlers: FeedHandlers, signal: AbortSignal): Promise<void> {
    const query = new URLSearchParams((this.options.services ?? []).map((s): [string, string] => ['service', s]));
    const headers = { ...(await this.options.headers?.()), ...(this.lastEventId && { 'last-event-id': this.lastEventId }) };
    const res = await fetch(`${this.options.baseUrl}/v1/events${query.size ? `?${query}` : ''}`, { headers, signal });
    if (res.status !== 200 || !res.body) throw new Error(`event feed answered ${res.status}`);
    if (!this.lastEventId) handlers.onGap(); // first connection (or one without a position): the cache resyncs
    for await (const message of readSse(res.body)) {
      if (message.event === 'resync') handlers.onGap();
      else if (message.data) handlers.onEvent(JSON.parse(message.data) as RegistryEvent);
      if (message.id) this.lastEventId = message.id;
    }
  }
}

/**
 * @example
 * const feed = new SqsFeed({ queueUrl: process.env.REGISTRY_QUEUE_URL! });
 */
export class SqsFeed implements ChangeFeed {
  private stopped = false;
  private loop?: Promise<void>;
  private readonly client: SQSClient;

  constructor(private readonly options: { queueUrl: string; client?: SQSClient; waitTimeSeconds?: number }) {
    this.client = options.client ?? new SQSClient({});
  }

  start(handlers: FeedHandlers): void {
    this.stopped = false;
    handlers.onGap(); // a new subscriber starts from a snapshot
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const out = await this.client.send(
            new ReceiveMessageCommand({ QueueUrl: this.options.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: this.options.waitTimeSeconds ?? 20 }),
          );
          const applied: Array<{ Id: string; ReceiptHandle: string }> = [];
          for (const [i, message] of (out.Messages ?? []).entries()) {
            try {
              handlers.onEvent(JSON.parse(message.Body ?? '{}') as RegistryEvent);
              if (message.ReceiptHandle) applied.push({ Id: String(i), ReceiptHandle: message.ReceiptHandle });
            } catch {
              // Left on the queue: redelivered after the visibility timeout, then to its dead-letter queue.
            }
          }
          if (applied.length > 0) await this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: applied }));
        } catch {
          if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
