/**
 * The SSE change feed built from a client: it carries the client's bearer token, reports a refused token once and
 * stops, and asks for a resync when the server says `event: resync` (the local bus's answer to a `Last-Event-ID` it
 * no longer buffers or never issued, e.g. after a restart: its ids keep increasing across restarts) or, as a guard,
 * when a server's event ids go backwards. Underneath, `readSse` turns the byte stream into messages however the
 * network cut it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../local/runtime.js';
import {
  RegistryApiError,
  RegistryClient,
  type RegistryEvent,
  RegistryResponseError,
  RegistryValidationError,
  ServiceCache,
  SseFeed,
} from '@service-registry/client';
import { readSse } from '../../../packages/client/src/sse.js';
import { sleep, startTestRuntime } from '../../support.js';

const TOKEN = 'feed-test-token-0123456789';

describe('SseFeed against a runtime with an auth file', () => {
  let runtime: LocalRuntime;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sse-feed-'));
    const authFile = join(dir, 'auth.json');
    await writeFile(authFile, JSON.stringify({ tokens: { [TOKEN]: { principal: 'gateway', services: ['*'] } } }));
    runtime = await startTestRuntime({ prober: false, authFile });
  });
  afterAll(async () => {
    await runtime.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("carries the client's bearer token, so a cache follows the registry in token mode", async () => {
    // Prepare
    const client = new RegistryClient({ baseUrl: runtime.url, token: TOKEN });
    const cache = new ServiceCache({ client, service: 'secured' });
    await cache.start();
    const errors: Error[] = [];
    const feed = new SseFeed({ client, services: ['secured'], onError: (e) => errors.push(e) });
    const connected = new Promise<void>((resolve) => feed.start({ ...cache.feedHandlers(), onGap: resolve }));
    await connected; // the first connection asks for a snapshot

    // Act
    await client.register('secured', 'a', { address: '10.0.0.1', port: 80 });

    // Assess
    for (let i = 0; i < 100 && cache.instances().length === 0; i++) await sleep(20);
    expect(cache.instances().map((i) => i.instanceId)).toEqual(['a']);
    expect(errors).toEqual([]);
    await feed.stop();
    cache.stop();
  });

  it('reports a refused token to onError once and stops retrying', async () => {
    const client = new RegistryClient({ baseUrl: runtime.url, token: 'not-a-token-of-this-registry' });
    const errors: Error[] = [];
    const feed = new SseFeed({ client, services: ['secured'], onError: (e) => errors.push(e) });

    feed.start({ onEvent: () => undefined, onGap: () => undefined });
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(20);
    await sleep(700); // several reconnect delays (100, 200, 400 ms): a retrying feed would have failed again

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RegistryApiError);
    expect(errors[0]).toMatchObject({ status: 401 });
    expect(feed.failure).toBe(errors[0]);
    await feed.stop();
  });

  it('refuses a service name the registry would refuse, before connecting', () => {
    const client = new RegistryClient({ baseUrl: runtime.url, token: TOKEN });
    expect(() => new SseFeed({ client, services: ['Not A Service'] })).toThrow(RegistryValidationError);
  });
});

describe('SseFeed against a scripted event stream', () => {
  let server: Server;
  let baseUrl: string;
  /** One script per connection, in order; each writes its messages and ends the response. */
  const scripts: Array<(res: ServerResponse) => void> = [];
  const requests: IncomingMessage[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const script = scripts.shift();
      if (script) script(res);
      // Without a script the connection stays open (and quiet) until the test stops the feed.
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const sse = (id: number, body: object) => `id: ${id}\nevent: ${(body as { 'detail-type'?: string })['detail-type']}\ndata: ${JSON.stringify(body)}\n\n`;
  const event = (id: number, instanceId: string) => {
    const time = new Date().toISOString();
    const body: RegistryEvent = {
      id: `e${id}`,
      'detail-type': 'Instance Registered',
      time,
      detail: {
        schemaVersion: '1.0',
        eventId: `orders/${instanceId}/1`,
        service: 'orders',
        instanceId,
        revision: 1,
        instance: null,
        changed: [],
        reason: 'registered',
        time,
      },
    };
    return sse(id, body);
  };

  it("resyncs on `event: resync` and, as a guard, when a server's event ids go backwards; resumes with Last-Event-ID", async () => {
    // Prepare: connection 1 delivers ids 41-42; connection 2 says its buffer lost them; connection 3 comes from a
    // server whose ids went backwards (the local bus's never do: they keep increasing across restarts, and a stale
    // Last-Event-ID gets `event: resync`; this pins the guard against a server that does, e.g. an older runtime).
    scripts.push(
      (res) => res.end(`retry: 1000\n\n${event(41, 'a')}${event(42, 'b')}`),
      (res) => res.end('event: resync\ndata: {"reason":"events since 42 are no longer buffered"}\n\n'),
      (res) => res.end(event(1, 'c')),
    );
    const log: string[] = [];
    const feed = new SseFeed({ client: new RegistryClient({ baseUrl }), services: ['orders'] });

    // Act
    feed.start({ onGap: () => log.push('gap'), onEvent: (e) => log.push(`event ${'instanceId' in e.detail ? e.detail.instanceId : e['detail-type']}`) });
    for (let i = 0; i < 200 && requests.length < 4; i++) await sleep(20);
    await feed.stop();

    // Assess
    expect(log).toEqual(['gap', 'event a', 'event b', 'gap', 'gap', 'event c']);
    expect(requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '42', '42', '1']);
    expect(requests[0]!.url).toBe('/v1/events?service=orders');
  });

  it('skips an event that breaks the contract, reports it and resyncs; skips unknown detail-types silently', async () => {
    // Prepare: a revision that is not a number, a detail-type a later registry may add, then a valid event.
    const broken = JSON.parse(event(0, 'x').split('data: ')[1]!);
    broken.detail.revision = 'seven';
    scripts.push((res) =>
      res.end(`${sse(1, broken)}${sse(2, { id: 'e2', 'detail-type': 'Instance Moved', time: new Date().toISOString(), detail: {} })}${event(3, 'ok')}`),
    );
    const log: string[] = [];
    const errors: Error[] = [];
    const feed = new SseFeed({ baseUrl, onError: (e) => errors.push(e) });

    // Act
    feed.start({ onGap: () => log.push('gap'), onEvent: (e) => log.push(`event ${'instanceId' in e.detail ? e.detail.instanceId : e['detail-type']}`) });
    for (let i = 0; i < 200 && !log.includes('event ok'); i++) await sleep(20);
    await feed.stop();

    // Assess: the first gap is the first connection's snapshot, the second the skipped event's.
    expect(log).toEqual(['gap', 'gap', 'event ok']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RegistryResponseError);
    expect(errors[0]).toMatchObject({ issues: [{ path: 'revision', message: expect.stringContaining('number') }] });
  });
});

describe('readSse', () => {
  it('yields messages wherever the bytes are cut, skipping heartbeats and retry lines, leaving absent fields out', async () => {
    // Prepare: the local bus's output (retry, a heartbeat comment, numbered events, a resync without an id), with a
    // multi-byte character, a two-line data field and CRLF line ends, cut into chunks of every size below.
    const stream =
      'retry: 1000\n\n: keep-alive\n\nid: 7\nevent: Instance Updated\ndata: {"zone":"Zürich"}\n\nid: 8\r\nevent: Instance Expired\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: resync\ndata: {}\n\n';
    const bytes = new TextEncoder().encode(stream);
    for (const size of [1, 2, 5, bytes.length]) {
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

      // Act
      const messages = [];
      for await (const message of readSse(ReadableStream.from(chunks))) messages.push(message);

      // Assess
      expect(messages).toStrictEqual([
        { id: '7', event: 'Instance Updated', data: '{"zone":"Zürich"}' },
        { id: '8', event: 'Instance Expired', data: '{"a":\n1}' },
        { event: 'resync', data: '{}' },
      ]);
    }
  });
});
