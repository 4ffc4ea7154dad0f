/**
 * Follows the registry's change feed (`GET /v1/events`, Server-Sent Events) with `fetch` and a stream reader
 * rather than `EventSource`: `EventSource` cannot send headers, and a runtime with an auth file answers the feed
 * only to a bearer token. Putting the token in the URL instead (`?access_token=`) would leave it in access logs and
 * the browser's history, so the registry accepts none there. One code path serves both modes; it does what
 * `EventSource` would: reconnects after `retry` ms with `Last-Event-ID`, so the bus replays what was missed or says
 * `resync` when it cannot.
 */
import { authHeaders, errorOf } from './api.js';
import { SseParser, type FeedMessage } from './sse.js';

export type { FeedMessage };

export interface FeedHandlers {
  /** A message arrived (`event` is the detail-type, or `resync`). */
  onMessage(message: FeedMessage): void;
  /**
   * The feed is (again) connected. `fresh`: nothing was replayed (first connection, or the previous one left no
   * event id), so the caller must reload what it shows from discovery; events from now on are live.
   */
  onOpen(fresh: boolean): void;
  /** Connection trouble, with the API's error when it answered one (401 without a token, say). */
  onTrouble(message: string): void;
}

/** Starts following; returns a function that stops. */
export function followEvents(handlers: FeedHandlers): () => void {
  const controller = new AbortController();
  void (async () => {
    let lastId: string | undefined;
    let retryMs = 1000;
    let failures = 0;
    while (!controller.signal.aborted) {
      try {
        const res = await fetch('/v1/events', {
          cache: 'no-store',
          headers: { accept: 'text/event-stream', ...authHeaders(), ...(lastId !== undefined && { 'last-event-id': lastId }) },
          signal: controller.signal,
        });
        if (!res.ok || !res.body) {
          const error = await errorOf(res);
          handlers.onTrouble(`${error.code}: ${error.message}`);
        } else {
          failures = 0;
          handlers.onOpen(lastId === undefined);
          const parser = new SseParser();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            for (const message of parser.push(value)) handlers.onMessage(message);
            lastId = parser.lastId ?? lastId;
            retryMs = parser.retryMs ?? retryMs;
          }
          handlers.onTrouble('the event feed closed; reconnecting');
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        handlers.onTrouble(`the event feed is unreachable (${(error as Error).message}); reconnecting`);
      }
      // Refusals (401, 403) and outages back off up to 10 s; a feed that was live reconnects after `retry`.
      failures++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, retryMs * 2 ** Math.max(0, failures - 1))));
    }
  })();
  return () => controller.abort();
}
