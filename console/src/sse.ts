/**
 * A Server-Sent Events parser for text that arrives in arbitrary chunks (a `fetch` body read as a stream). No DOM:
 * unit-tested in Node.
 */

/** One message of the stream (the SSE fields we use). */
export interface FeedMessage {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/**
 * Splits an SSE byte stream into messages (https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream):
 * lines end in LF, CR or CRLF; a blank line ends a message; `:` lines are comments.
 */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];
  /** The last `retry:` the server asked for, in ms. */
  retryMs: number | undefined;

  /** True after a chunk ended in CR: an LF starting the next chunk is the rest of that CRLF. */
  private afterCr = false;

  /** Feeds decoded text; returns the messages it completed. */
  push(text: string): FeedMessage[] {
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = text.endsWith('\r');
    this.buffer += text;
    const out: FeedMessage[] = [];
    const newline = /\r\n|\r|\n/g;
    let start = 0;
    for (let end = newline.exec(this.buffer); end !== null; end = newline.exec(this.buffer)) {
      this.line(this.buffer.slice(start, end.index), out);
      start = end.index + end[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string, out: FeedMessage[]): void {
    if (line === '') {
      if (this.data.length > 0) out.push({ ...(this.id !== undefined && { id: this.id }), event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  /** The id of the last message (sent back as `Last-Event-ID` on reconnect). */
  get lastId(): string | undefined {
    return this.id;
  }
}
