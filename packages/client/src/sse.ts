/**
 * Reads a Server-Sent Events stream (the local runtime's `/v1/events`) into messages. Hand-written: the format is
 * a few lines of text, and Node has no built-in EventSource before v22.
 *
 * @example
 * for await (const message of readSse(response.body!)) console.log(message.id, message.event, message.data);
 */
export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  /** The `data:` lines joined; empty for comments and `retry:` lines (those are skipped). */
  readonly data: string;
}

export async function* readSse(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let event: string | undefined;
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (id === undefined && event === undefined && data === '') continue;
      yield { ...(id !== undefined && { id }), ...(event !== undefined && { event }), data };
    }
  }
}
