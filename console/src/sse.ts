/**
 * Server-Sent Events for text that arrives in arbitrary chunks (a `fetch` body read as a stream), parsed by
 * `eventsource-parser` (lines ending in LF, CR or CRLF, `:` comments, `retry:`). This adds what an `EventSource`
 * would keep and the feed needs: the last event id and retry interval. No DOM: unit-tested in Node.
 */
import { createParser } from 'eventsource-parser';

/** One message of the stream (the SSE fields we use). */
export interface FeedMessage {
  /** The last id the stream sent, on this message or an earlier one (as `EventSource`'s `lastEventId`). */
  readonly id?: string;
  /** The `event:` field; `message` when there is none. */
  readonly event: string;
  readonly data: string;
}

/** Splits an SSE stream into messages, keeping its last event id and `retry:`. */
export class SseParser {
  /** The last `retry:` the server asked for, in ms. */
  retryMs: number | undefined;
  private id: string | undefined;
  private completed: FeedMessage[] = [];
  /** True after a chunk ended in CR: an LF starting the next chunk is the rest of that CRLF. */
  private afterCr = false;
  private readonly parser = createParser({
    onEvent: ({ id, event, data }) => {
      // The parser reports the id of this message only; the stream's last event id lasts until another replaces it.
      if (id !== undefined) this.id = id;
      this.completed.push({ ...(this.id !== undefined && { id: this.id }), event: event ?? 'message', data });
    },
    onRetry: (ms) => {
      this.retryMs = ms;
    },
  });

  /** Feeds decoded text; returns the messages it completed. */
  push(text: string): FeedMessage[] {
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = text.endsWith('\r');
    // The parser holds a trailing CR until the next character says whether it is half of a CRLF, so a message
    // ended by a bare CR would wait for the stream's next bytes (a heartbeat, 15 s later). The CR ends its line
    // now, as CRLF; the LF of a real CRLF is dropped when it arrives (above).
    this.parser.feed(this.afterCr ? `${text}\n` : text);
    return this.completed.splice(0);
  }

  /** The id of the last message (sent back as `Last-Event-ID` on reconnect). */
  get lastId(): string | undefined {
    return this.id;
  }
}
