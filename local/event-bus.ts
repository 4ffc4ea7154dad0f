/**
 * Local stand-in for the EventBridge bus. The publisher reaches it through the real `@aws-sdk/client-eventbridge`
 * (`AWS_ENDPOINT_URL_EVENTBRIDGE` points at a loopback listener that answers `AWSEvents.PutEvents`), and it fans
 * events out to Server-Sent-Events subscribers of `GET /v1/events` on the registry's port. Events are numbered; a
 * bounded in-memory buffer lets a reconnecting subscriber resume with `Last-Event-ID`. In AWS, subscribers consume
 * through an EventBridge rule → SQS queue instead.
 *
 * Numbers start at the bus's start time in microseconds, so they keep increasing across restarts of the runtime
 * (the buffer does not survive one): a `Last-Event-ID` from an earlier run is older than anything buffered and
 * gets `event: resync`, and one the bus never issued (ahead of it) gets `event: resync` too, never silence.
 *
 * Each change is published twice as a rule (the writing function's fast path, then the stream publisher: the same
 * event, same `detail.eventId`), and the stream publisher may send one again after a retry: the bus fans out only
 * the first copy of an `eventId` it has seen among its last `capacity` events and answers PutEvents for the others
 * as accepted. (EventBridge keeps no such memory: there, each subscriber drops them, by `eventId` or `revision`.)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventEnvelope } from '@service-registry/contracts';

/** An event as EventBridge delivers it to targets: the contract's envelope. */
export type BusEvent = Readonly<EventEnvelope>;

interface Numbered {
  readonly seq: number;
  readonly event: BusEvent;
}

interface Subscriber {
  /** Services asked for (`service=`); empty = every service the caller may read. */
  readonly services: ReadonlySet<string>;
  readonly mayRead: (service: string) => boolean;
  readonly res: ServerResponse;
}

/** Which services a subscriber may follow (the caller's read scope). */
export type ReadScope = (service: string) => boolean;

/** A PutEvents entry as the bus reads it (`Time`: seconds since the epoch, as the SDK sends it, an ISO string or a Date). */
export interface PutEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Time?: number | string | Date;
}

/** Fault injection for tests: decides the error code of an entry (undefined = accept). */
export type EntryFault = (entry: { DetailType?: string; Detail?: string }) => string | undefined;

/** What tests observe of every accepted entry: the event, and whether it was a copy of one already fanned out. */
export type EntryObserver = (event: BusEvent, duplicate: boolean) => void;

export class LocalEventBus {
  private readonly buffer: Numbered[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private seq = Date.now() * 1000;
  private server?: Server;
  private heartbeat?: NodeJS.Timeout;
  /** `detail.eventId`s of the events fanned out, oldest first (at most `capacity`). */
  private readonly seen = new Set<string>();
  /** Set by tests to make PutEvents entries fail. */
  fault?: EntryFault;
  /** Set by tests to see every accepted entry, duplicates included. */
  observe?: EntryObserver;
  /** Accepted entries not fanned out because an event with their `eventId` already was. */
  duplicates = 0;

  constructor(private readonly capacity = 10_000) {}

  /** Starts the PutEvents listener on loopback; returns its endpoint for `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.putEvents(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    // Comments keep idle SSE connections (and proxies in between) open.
    this.heartbeat = setInterval(() => this.subscribers.forEach((s) => s.res.write(': keep-alive\n\n')), 15_000);
    this.heartbeat.unref();
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise((resolve) => this.server!.close(resolve));
    }
  }

  /**
   * Serves `GET /v1/events?service=…` as Server-Sent Events, replaying from `Last-Event-ID` when given. The caller
   * must have checked the requested services against `mayRead` (403 before any byte is sent); without `service=`
   * the feed carries only the services `mayRead` allows. Protection events go to every subscriber.
   */
  subscribe(req: IncomingMessage, res: ServerResponse, url: URL, mayRead: ReadScope = () => true): void {
    const services = new Set(url.searchParams.getAll('service'));
    const lastId = req.headers['last-event-id'];
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 1000\n\n');
    const subscriber: Subscriber = { services, mayRead, res };
    if (typeof lastId === 'string') {
      const after = /^\d+$/.test(lastId) ? Number(lastId) : Number.NaN;
      const oldest = this.buffer[0]?.seq ?? this.seq + 1;
      // Events were dropped from the buffer since then, or the id is not one this bus issued (another run of the
      // runtime, a client bug): the client cannot know what it missed, so it resyncs from discovery.
      const resync = (reason: string) => res.write(`event: resync\ndata: ${JSON.stringify({ reason })}\n\n`);
      if (Number.isNaN(after) || after > this.seq) resync(`event ${lastId.slice(0, 40)} was not issued by this event feed`);
      else if (after + 1 < oldest) resync(`events since ${after} are no longer buffered`);
      const from = Number.isNaN(after) || after > this.seq ? this.seq : after;
      for (const item of this.buffer) if (item.seq > from && this.wants(subscriber, item.event)) this.send(res, item);
    }
    this.subscribers.add(subscriber);
    req.on('close', () => this.subscribers.delete(subscriber));
  }

  private wants(subscriber: Subscriber, event: BusEvent): boolean {
    const follows = (service: string) => (subscriber.services.size === 0 ? subscriber.mayRead(service) : subscriber.services.has(service));
    const { service, services } = event.detail;
    if (typeof service === 'string') return follows(service);
    // `Registry Resync Required` names several services: a subscriber gets it when it follows any of them.
    if (Array.isArray(services)) return services.some((s) => typeof s === 'string' && follows(s));
    return true; // the guard's events concern every service
  }

  private send(res: ServerResponse, item: Numbered): void {
    res.write(`id: ${item.seq}\nevent: ${item.event['detail-type']}\ndata: ${JSON.stringify(item.event)}\n\n`);
  }

  private async putEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      return reply(400, { __type: 'UnknownOperationException', message: 'only AWSEvents.PutEvents is supported locally' });
    }
    let input: { Entries?: PutEntry[] };
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { __type: 'ValidationException', message: 'body is not JSON' });
    }
    const entries = this.accept(input.Entries ?? []);
    reply(200, { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries });
  }

  /**
   * Takes PutEvents entries as the listener does, one result per entry (`EventId`, or `ErrorCode` for a fault):
   * the listener's body, and the in-process sink of the runtime's writing functions (`LocalBusSink`), which skips
   * the SDK and the loopback request.
   */
  accept(input: readonly PutEntry[]): Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }> {
    return input.map((entry) => {
      const fault = this.fault?.(entry);
      if (fault) return { ErrorCode: fault, ErrorMessage: 'injected by the local event bus' };
      let detail: Record<string, unknown>;
      try {
        detail = JSON.parse(entry.Detail ?? '{}');
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType ?? '',
        source: entry.Source ?? '',
        account: '000000000000',
        time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: 'local',
        resources: [],
        detail,
      };
      this.publish(event);
      return { EventId: event.id };
    });
  }

  private publish(event: BusEvent): void {
    const eventId = event.detail.eventId;
    const duplicate = typeof eventId === 'string' && this.seen.has(eventId);
    this.observe?.(event, duplicate);
    if (duplicate) return void this.duplicates++;
    if (typeof eventId === 'string') {
      this.seen.add(eventId);
      if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value!);
    }
    const item = { seq: ++this.seq, event };
    this.buffer.push(item);
    if (this.buffer.length > this.capacity) this.buffer.shift();
    for (const subscriber of this.subscribers) if (this.wants(subscriber, event)) this.send(subscriber.res, item);
  }
}
