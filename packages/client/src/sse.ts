/**
 * Reads a Server-Sent Events stream (the local runtime's `/v1/events`) into messages, parsed by `eventsource-parser`
 * (Node has no built-in EventSource before v22, and `EventSource` could not send the bearer token anyway).
 */
import { createParser } from 'eventsource-parser';

/** One message of the stream. Comments (heartbeats) and `retry:` lines are not messages: they are skipped. */
export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  /** The `data:` lines, joined with newlines. */
  readonly data: string;
}

/**
 * The messages of an SSE body, in order, as they complete; ends when the body does.
 *
 * @example
 * for await (const message of readSse(response.body!)) console.log(message.id, message.event, message.data);
 */
export async function* readSse(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const completed: SseMessage[] = [];
  const parser = createParser({
    // A field the stream did not send stays absent (the parser sets it to undefined), as messages have always been.
    onEvent: ({ id, event, data }) => completed.push({ ...(id !== undefined && { id }), ...(event !== undefined && { event }), data }),
  });
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    yield* completed.splice(0);
  }
}
