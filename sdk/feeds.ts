/**
 * Change feeds behind one interface: the local runtime's Server-Sent Events (`GET /v1/events`, resumed with
 * `Last-Event-ID` after a reconnect) and, in AWS, an SQS queue fed by an EventBridge rule (the construct's
 * `addSubscriber`): long polling, deleting each message once applied.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { InstanceEventDetail } from '@service-registry/contracts';
import { checkService, type RegistryClient } from './client.js';
import { RegistryApiError, RegistryUnavailableError } from './errors.js';
import { canonicalQuery, type QueryPair } from './query.js';
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

/** Options of {@link SseFeed}: built from a client (preferred), or from a base URL and headers. */
export type SseFeedOptions = SseFeedCommonOptions & (
  | {
      /** The registry client whose base URL and credentials (its bearer token) the feed uses. */
      readonly client: RegistryClient;
    }
  | {
      /** The registry's base URL, for a feed without a client. */
      readonly baseUrl: string;
      /** Extra headers per connection, e.g. `{ authorization: 'Bearer …' }`. @default - none */
      readonly headers?: () => Promise<Record<string, string>> | Record<string, string>;
    }
);

/** What every {@link SseFeed} takes. */
export interface SseFeedCommonOptions {
  /** Only events of these services (plus the registry-wide ones, e.g. protection). @default - every service */
  readonly services?: readonly string[];
  /**
   * Told about every failed connection. A 401 or 403 ({@link RegistryApiError}) also stops the feed for good — a
   * refused token does not start working by retrying; other failures are retried with backoff.
   * @default - a warning on the console
   */
  readonly onError?: (error: Error) => void;
}

/**
 * The local runtime's change feed, `GET /v1/events` as Server-Sent Events. It reconnects with backoff and resumes
 * with `Last-Event-ID`; it asks its handlers to resync (`onGap`) on the first connection, when the server says
 * `event: resync` (the events since `Last-Event-ID` are no longer buffered), and when the event ids go backwards
 * (the server restarted and numbers from 1 again). Build it from the client so it carries the client's bearer token;
 * a 401 or 403 is reported to `onError` and ends the feed (see {@link SseFeed.failure}). The local runtime's SSE
 * route takes bearer tokens only; in AWS use {@link SqsFeed}.
 *
 * @example
 * const registry = new RegistryClient({ baseUrl: 'http://127.0.0.1:4000', token: process.env.REGISTRY_TOKEN });
 * const feed = new SseFeed({ client: registry, services: ['orders'], onError: (e) => console.error('feed:', e.message) });
 * feed.start(cache.feedHandlers());
 */
export class SseFeed implements ChangeFeed {
  private controller?: AbortController;
  private loop?: Promise<void>;
  private lastEventId?: string;
  private refused?: RegistryApiError;
  private readonly services: readonly string[];

  constructor(private readonly options: SseFeedOptions) {
    // A bad service name would get a 400 on every reconnect: refuse it here, once.
    this.services = (options.services ?? []).map(checkService);
  }

  /** The 401/403 that stopped the feed, if one did. */
  get failure(): RegistryApiError | undefined {
    return this.refused;
  }

  start(handlers: FeedHandlers): void {
    this.controller = new AbortController();
    this.refused = undefined;
    const signal = this.controller.signal;
    const onError = this.options.onError ?? ((error: Error) => console.warn('registry event feed:', error.message));
    this.loop = (async () => {
      let failures = 0;
      while (!signal.aborted) {
        try {
          await this.read(handlers, signal);
          failures = 0;
        } catch (error) {
          if (signal.aborted) return;
          failures++;
          onError(error as Error);
          if (error instanceof RegistryApiError && (error.status === 401 || error.status === 403)) {
            this.refused = error;
            return;
          }
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
    const query: QueryPair[] = this.services.map((s) => ['service', s]);
    const { url, headers: auth } =
      'client' in this.options
        ? await this.options.client.authorizedRequest('GET', '/v1/events', query)
        : { url: new URL(`${this.options.baseUrl}/v1/events${query.length ? `?${canonicalQuery(query)}` : ''}`), headers: await this.options.headers?.() };
    const headers = { ...auth, ...(this.lastEventId && { 'last-event-id': this.lastEventId }) };
    let res: Response;
    try {
      res = await fetch(url, { headers, signal });
    } catch (error) {
      throw new RegistryUnavailableError(`event feed unreachable at ${url.origin}: ${(error as Error).message}`, { cause: error });
    }
    if (res.status !== 200 || !res.body) throw await feedError(res);
    if (!this.lastEventId) handlers.onGap(); // first connection (or one without a position): the cache resyncs
    for await (const message of readSse(res.body)) {
      if (message.event === 'resync') handlers.onGap();
      else if (message.data) {
        // Ids only grow on one server; a smaller one means it restarted and its buffer is gone: resync first.
        if (message.id && this.lastEventId && isRestart(this.lastEventId, message.id)) handlers.onGap();
        handlers.onEvent(JSON.parse(message.data) as RegistryEvent);
      }
      if (message.id) this.lastEventId = message.id;
    }
  }
}

/** A numbered event id not above the last one seen (the local runtime numbers events 1, 2, 3, … per process). */
function isRestart(last: string, next: string): boolean {
  return /^\d+$/.test(last) && /^\d+$/.test(next) && Number(next) <= Number(last);
}

/** The typed error of a refused connection, with the API's error code when the body carries one. */
async function feedError(res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    // not JSON: keep the status
  }
  if (res.status >= 500 && !error) return new RegistryUnavailableError(`event feed answered ${res.status}`);
  return new RegistryApiError(res.status, error?.code ?? `HTTP_${res.status}`, `event feed answered ${res.status}: ${error?.message ?? (text || 'no body')}`);
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
