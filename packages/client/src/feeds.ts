/**
 * Change feeds behind one interface: the local runtime's Server-Sent Events (`GET /v1/events`, resumed with
 * `Last-Event-ID` after a reconnect) and, in AWS, an SQS queue fed by an EventBridge rule (the construct's
 * `addSubscriber`): long polling, deleting each message once applied. Every event is validated against the contract
 * ({@link parseRegistryEvent}) before a handler sees it.
 *
 * `@aws-sdk/client-sqs` is an optional peer dependency: only {@link SqsFeed} needs it, and loads it when it starts.
 */
import { checkService, type RegistryClient } from './client.js';
import { RegistryApiError, RegistryDependencyError, RegistryResponseError, RegistryUnavailableError } from './errors.js';
import { parseRegistryEvent, type RegistryEvent } from './events.js';
import { canonicalQuery, type QueryPair } from './query.js';
import { readSse } from './sse.js';

export type { RegistryEvent } from './events.js';

export interface FeedHandlers {
  /** Apply one (validated) event. A throw leaves it unacknowledged (SQS redelivers it). */
  onEvent(event: RegistryEvent): void;
  /** Events may have been missed (buffer overrun, long disconnect, an event that failed validation): resync from discovery. */
  onGap(): void;
}

export interface ChangeFeed {
  start(handlers: FeedHandlers): void;
  stop(): Promise<void>;
}

/** Options of {@link SseFeed}: built from a client (preferred), or from a base URL and headers. */
export type SseFeedOptions = SseFeedCommonOptions &
  (
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
   * Told about every failed connection and every event that does not match the contract (a
   * {@link RegistryResponseError}: the event is skipped and the handlers resync). A 401 or 403
   * ({@link RegistryApiError}) also stops the feed for good — a refused token does not start working by retrying;
   * other failures are retried with backoff.
   * @default - a warning on the console
   */
  readonly onError?: (error: Error) => void;
}

/**
 * The local runtime's change feed, `GET /v1/events` as Server-Sent Events. It reconnects with backoff and resumes
 * with `Last-Event-ID`; it asks its handlers to resync (`onGap`) on the first connection and when the server says
 * `event: resync` (the events since `Last-Event-ID` are no longer buffered, or the id is not one it issued, e.g.
 * after a restart of the local runtime, whose ids keep increasing across restarts). As a guard against a server
 * whose ids went backwards (an older runtime that numbered from 1 in each process, a clock stepped back), an id not
 * above the last one seen resyncs too. Build it from the client so it carries the client's bearer token;
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
  private refused: RegistryApiError | undefined;
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
          await this.read(handlers, signal, onError);
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

  private async read(handlers: FeedHandlers, signal: AbortSignal, onError: (error: Error) => void): Promise<void> {
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
        // Ids only grow (the local bus keeps them growing across restarts, and answers a stale Last-Event-ID with
        // `event: resync`). A server whose ids went backwards anyway (an older runtime numbering from 1 per process,
        // a clock stepped back) lost what the cache may have missed: resync first. A guard, kept because it is cheap.
        if (message.id && this.lastEventId && isRestart(this.lastEventId, message.id)) handlers.onGap();
        let event: RegistryEvent | undefined;
        try {
          event = parseRegistryEvent(JSON.parse(message.data));
        } catch (error) {
          // Skipped: whatever change it carried is lost to this subscriber, so the handlers reload from discovery.
          onError(
            error instanceof RegistryResponseError
              ? error
              : new RegistryResponseError(`event ${message.id ?? ''}`.trim(), [{ path: '', message: `not JSON: ${(error as Error).message}` }]),
          );
          handlers.onGap();
        }
        if (event) handlers.onEvent(event);
      }
      if (message.id) this.lastEventId = message.id;
    }
  }
}

/** A numbered event id not above the last one seen: ids that went backwards (see {@link SseFeed}). */
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
 * The slice of the AWS SDK's `SQSClient` the feed uses. Structural, so these types do not need
 * `@aws-sdk/client-sqs` installed; any `SQSClient` fits.
 */
export interface SqsClientLike {
  send(command: object): Promise<unknown>;
}

export interface SqsFeedOptions {
  /** The queue the construct's `addSubscriber` created (its URL). */
  readonly queueUrl: string;
  /** @default - `new SQSClient({})` from `@aws-sdk/client-sqs` (region and credentials from the environment) */
  readonly client?: SqsClientLike;
  /** Long-poll wait per receive, in seconds (0-20). @default 20 */
  readonly waitTimeSeconds?: number;
  /**
   * Told about failed receives (retried after a second), messages that do not match the contract (left on the queue
   * for redelivery and the dead-letter queue; the handlers resync), and a missing `@aws-sdk/client-sqs`
   * ({@link RegistryDependencyError}, which ends the feed: see {@link SqsFeed.failure}).
   * @default - a warning on the console
   */
  readonly onError?: (error: Error) => void;
}

interface SqsModule {
  SQSClient: new (config: object) => SqsClientLike;
  ReceiveMessageCommand: new (input: { QueueUrl: string; MaxNumberOfMessages: number; WaitTimeSeconds: number }) => object;
  DeleteMessageBatchCommand: new (input: { QueueUrl: string; Entries: Array<{ Id: string; ReceiptHandle: string }> }) => object;
}

/**
 * The change feed in AWS: long-polls the subscriber queue (EventBridge rule → SQS, the construct's `addSubscriber`),
 * hands each validated event to the handlers and deletes the messages they applied. SQS standard delivers at least
 * once and in no order; the cache applies by revision. Needs `@aws-sdk/client-sqs` (an optional peer dependency),
 * loaded when the feed starts.
 *
 * @example
 * const feed = new SqsFeed({ queueUrl: process.env.REGISTRY_QUEUE_URL!, onError: (e) => console.error('feed:', e.message) });
 * feed.start(cache.feedHandlers());
 */
export class SqsFeed implements ChangeFeed {
  private stopped = false;
  private loop?: Promise<void>;
  private missing: RegistryDependencyError | undefined;

  constructor(private readonly options: SqsFeedOptions) {}

  /** The missing dependency that stopped the feed, if one did. */
  get failure(): RegistryDependencyError | undefined {
    return this.missing;
  }

  start(handlers: FeedHandlers): void {
    this.stopped = false;
    this.missing = undefined;
    const onError = this.options.onError ?? ((error: Error) => console.warn('registry event feed:', error.message));
    const { queueUrl } = this.options;
    handlers.onGap(); // a new subscriber starts from a snapshot
    this.loop = (async () => {
      let sqs: SqsModule;
      try {
        sqs = (await import('@aws-sdk/client-sqs')) as unknown as SqsModule;
      } catch (error) {
        this.missing = new RegistryDependencyError(
          '@aws-sdk/client-sqs',
          'SqsFeed needs @aws-sdk/client-sqs, which is not installed: `npm install @aws-sdk/client-sqs`',
          error,
        );
        onError(this.missing);
        return;
      }
      const client = this.options.client ?? new sqs.SQSClient({});
      while (!this.stopped) {
        try {
          const out = (await client.send(
            new sqs.ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: this.options.waitTimeSeconds ?? 20 }),
          )) as { Messages?: Array<{ Body?: string; ReceiptHandle?: string; MessageId?: string }> };
          const applied: Array<{ Id: string; ReceiptHandle: string }> = [];
          for (const [i, message] of (out.Messages ?? []).entries()) {
            let event: RegistryEvent | undefined;
            try {
              event = parseRegistryEvent(JSON.parse(message.Body ?? ''));
            } catch (error) {
              // Left on the queue: redelivered after the visibility timeout, then to its dead-letter queue. The
              // change it carried is lost to this subscriber meanwhile, so the handlers reload from discovery.
              onError(
                error instanceof RegistryResponseError
                  ? error
                  : new RegistryResponseError(`message ${message.MessageId ?? i}`, [{ path: '', message: `not JSON: ${(error as Error).message}` }]),
              );
              handlers.onGap();
              continue;
            }
            try {
              if (event) handlers.onEvent(event); // an unknown detail-type has nothing to apply: acknowledged
              if (message.ReceiptHandle) applied.push({ Id: String(i), ReceiptHandle: message.ReceiptHandle });
            } catch {
              // The handler refused it: left on the queue for redelivery.
            }
          }
          if (applied.length > 0) await client.send(new sqs.DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: applied }));
        } catch (error) {
          if (this.stopped) break;
          onError(error as Error);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
