/**
 * The local runtime's DNS server: the registry's DNS view (lambdas/connectors/dns.ts) over UDP and TCP, the wire
 * format by `dns-packet`. It answers authoritatively for one domain, reads through the registry's own discovery on
 * every query (no cache: a change is visible to the next query; concurrent queries of one service share one read),
 * and bounds a flood: at most {@link DnsServerOptions.maxInFlight} queries are answered at once (more UDP queries are
 * dropped, as a loaded server does; more TCP queries get SERVFAIL), at most `maxTcpConnections` TCP connections,
 * each closed after `tcpIdleMs` without a query or when it pipelines more than {@link MAX_PIPELINED} queries.
 *
 * Answers (RFC 1035, RFC 2308 for negative answers, RFC 6891 for EDNS):
 * - a name outside the domain, or a class other than IN: REFUSED (this is no recursive resolver);
 * - a name under the domain with no records and nothing below it: NXDOMAIN, with the domain's SOA;
 * - a name with records, asked for another type: NOERROR and no answer (NODATA), with the SOA;
 * - an opcode other than QUERY: NOTIMP; a message that does not parse, or does not hold exactly one question: FORMERR;
 *   fewer than 12 bytes (no header to answer with) or a response: dropped.
 * - over UDP an answer larger than 512 bytes (or the EDNS size the query offers, at most 4096) first loses its
 *   additional section, then is cut to the records that fit with TC set, so the client asks again over TCP.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createServer, type Socket } from 'node:net';
import packet, { type Answer, type DecodedPacket, type Question } from 'dns-packet';
import { parseName, readServiceRecordSets, type RecordSet } from '../lambdas/connectors/dns.js';
import type { Caller } from '../lambdas/domain/caller.js';
import { ForbiddenError } from '../lambdas/domain/errors.js';
import type { Registry } from '../lambdas/domain/registry.js';

/** Most queries a TCP connection may have waiting for an answer before it is closed. */
const MAX_PIPELINED = 16;
/** Largest UDP answer a client may ask for with EDNS; beyond it fragmentation makes loss likelier (RFC 6891 §6.2.5). */
const MAX_UDP_PAYLOAD = 4096;
/** The answer size every DNS client accepts over UDP (RFC 1035 §4.2.1). */
const CLASSIC_UDP_PAYLOAD = 512;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;

/** The records of a service, or `'refused'` when the server may not show them. */
export type ServiceLookup = (service: string) => Promise<readonly RecordSet[] | 'refused'>;

/** What a responder answers for, and where it reads a service's record sets. */
export interface DnsResponderOptions {
  /** Lower case, no trailing dot. */
  readonly domain: string;
  readonly ttlSeconds: number;
  readonly lookup: ServiceLookup;
}

/**
 * Answers one DNS message: the bytes to send back, or `undefined` to send nothing.
 *
 * @example
 * const respond = createDnsResponder({ domain: 'registry.internal', ttlSeconds: 5, lookup });
 * const reply = await respond(query, 'udp');
 */
export function createDnsResponder(options: DnsResponderOptions): (message: Buffer, transport: 'udp' | 'tcp') => Promise<Buffer | undefined> {
  const domain = options.domain.toLowerCase().replace(/\.$/, '');
  const ttl = options.ttlSeconds;
  const soa: Answer = {
    name: domain,
    type: 'SOA',
    ttl,
    class: 'IN',
    // The minimum is the negative-caching TTL (RFC 2308 §4): a missing service is asked again as soon as a present one.
    data: { mname: `ns.${domain}`, rname: `hostmaster.${domain}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: ttl },
  };
  // One read per service at a time, shared by the queries that arrive while it runs.
  const reading = new Map<string, Promise<readonly RecordSet[] | 'refused'>>();
  const lookup = (service: string) => {
    let read = reading.get(service);
    if (!read) {
      read = options.lookup(service).finally(() => reading.delete(service));
      reading.set(service, read);
    }
    return read;
  };

  return async (message, transport) => {
    if (message.length < 12) return undefined;
    const id = message.readUInt16BE(0);
    const flags = message.readUInt16BE(2);
    if (flags & 0x8000) return undefined; // a response: answering it could start a loop
    const opcode = (flags >> 11) & 0xf;
    const base = { id, opcode, rd: flags & packet.RECURSION_DESIRED };
    if (opcode !== 0) return encodeReply({ ...base, rcode: 'NOTIMP' }, transport, CLASSIC_UDP_PAYLOAD);
    let query: DecodedPacket;
    try {
      query = packet.decode(message);
    } catch {
      return encodeReply({ ...base, rcode: 'FORMERR' }, transport, CLASSIC_UDP_PAYLOAD);
    }
    const question = query.questions?.length === 1 ? query.questions[0]! : undefined;
    if (!question || !wellFormed(question.name)) return encodeReply({ ...base, rcode: 'FORMERR' }, transport, CLASSIC_UDP_PAYLOAD);
    const opt = query.additionals?.find((a): a is Extract<Answer, { type: 'OPT' }> => a.type === 'OPT');
    const limit = opt ? Math.min(MAX_UDP_PAYLOAD, Math.max(CLASSIC_UDP_PAYLOAD, opt.udpPayloadSize)) : CLASSIC_UDP_PAYLOAD;
    const reply = { ...base, question, edns: opt !== undefined };
    const qtype: string = question.type; // the decoder also yields types its typings omit: ANY (255), UNKNOWN_<n>
    // `ANY` as a class is what some tools send for IN; every other class (CH's version.bind, …) is not ours.
    if (question.class !== 'IN' && question.class !== 'ANY') return encodeReply({ ...reply, rcode: 'REFUSED' }, transport, limit);

    const name = question.name.toLowerCase().replace(/\.$/, '');
    const parsed = parseName(name, domain);
    if (parsed.kind === 'outside') return encodeReply({ ...reply, rcode: 'REFUSED' }, transport, limit);
    if (parsed.kind === 'none') return encodeReply({ ...reply, rcode: 'NXDOMAIN', authorities: [soa] }, transport, limit);
    if (parsed.kind === 'apex') {
      const answers = qtype === 'SOA' || qtype === 'ANY' ? [{ ...soa, name: question.name }] : [];
      return encodeReply({ ...reply, rcode: 'NOERROR', answers, authorities: answers.length > 0 ? [] : [soa] }, transport, limit);
    }

    let sets: readonly RecordSet[] | 'refused';
    try {
      sets = await lookup(parsed.service);
    } catch (error) {
      if (error instanceof ForbiddenError) sets = 'refused';
      else return encodeReply({ ...reply, rcode: 'SERVFAIL' }, transport, limit);
    }
    if (sets === 'refused') return encodeReply({ ...reply, rcode: 'REFUSED' }, transport, limit);
    const atName = sets.filter((s) => s.name === name);
    if (atName.length === 0) {
      // A name with nothing at it but names below it (`instance.orders.…`) exists: NODATA, not NXDOMAIN (RFC 8020).
      const below = sets.some((s) => s.name.endsWith(`.${name}`));
      return encodeReply({ ...reply, rcode: below ? 'NOERROR' : 'NXDOMAIN', authorities: [soa] }, transport, limit);
    }
    const matching = atName.filter((s) => qtype === 'ANY' || s.type === qtype);
    if (matching.length === 0) return encodeReply({ ...reply, rcode: 'NOERROR', authorities: [soa] }, transport, limit);
    const answers = matching.flatMap((s) => toAnswers(s, question.name));
    // The SRV targets' addresses, so a client needs no second query (RFC 2782 "Usage rules").
    const targets = new Set(matching.flatMap((s) => (s.type === 'SRV' ? s.values.map((v) => v.target) : [])));
    const additionals = sets.filter((s) => s.type !== 'SRV' && targets.has(s.name)).flatMap((s) => toAnswers(s, s.name));
    return encodeReply({ ...reply, rcode: 'NOERROR', answers, additionals }, transport, limit);
  };
}

/** Every label 1–63 bytes and the name at most 255 as it would be written back (the decoder reads labels as UTF-8). */
function wellFormed(name: string): boolean {
  if (name === '.' || name === '') return true;
  const labels = name.replace(/\.$/, '').split('.');
  return labels.every((l) => Buffer.byteLength(l) >= 1 && Buffer.byteLength(l) <= 63) && Buffer.byteLength(name) <= 253;
}

function toAnswers(set: RecordSet, owner: string): Answer[] {
  if (set.type === 'SRV') return set.values.map((data) => ({ name: owner, type: 'SRV', ttl: set.ttl, class: 'IN', data: { ...data } }));
  return set.values.map((data) => ({ name: owner, type: set.type, ttl: set.ttl, class: 'IN', data }));
}

interface Reply {
  readonly id: number;
  readonly opcode: number;
  readonly rd: number;
  readonly rcode: Rcode;
  readonly question?: Question;
  readonly edns?: boolean;
  readonly answers?: Answer[];
  readonly authorities?: Answer[];
  readonly additionals?: Answer[];
}

/**
 * The reply's bytes. Over UDP, an answer above `limit` drops its additional section first (optional data: no TC,
 * RFC 2181 §9), then keeps the answers that fit and sets TC. Over TCP the limit is the 65,535 bytes of the length prefix.
 */
function encodeReply(reply: Reply, transport: 'udp' | 'tcp', limit: number): Buffer {
  const max = transport === 'udp' ? limit : 65535;
  const opt: Answer[] = reply.edns
    ? [{ name: '.', type: 'OPT', udpPayloadSize: MAX_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as Answer]
    : [];
  const build = (answers: Answer[], authorities: Answer[], additionals: Answer[], truncated: boolean) =>
    packet.encode({
      type: 'response',
      id: reply.id,
      flags: (reply.opcode << 11) | packet.AUTHORITATIVE_ANSWER | reply.rd | (truncated ? packet.TRUNCATED_RESPONSE : 0) | RCODE[reply.rcode],
      questions: reply.question ? [reply.question] : [],
      answers,
      authorities,
      additionals: [...additionals, ...opt],
    });
  const answers = reply.answers ?? [];
  const authorities = reply.authorities ?? [];
  const full = build(answers, authorities, reply.additionals ?? [], false);
  if (full.length <= max) return full;
  const bare = build(answers, authorities, [], false);
  if (bare.length <= max) return bare;
  // Keep the answers that fit: the empty reply's size plus each record's own.
  let size = build([], [], [], true).length;
  let fit = 0;
  for (const answer of answers) {
    size += packet.encodingLength({ answers: [answer] }) - 12;
    if (size > max) break;
    fit++;
  }
  return build(answers.slice(0, fit), [], [], transport === 'udp');
}

/** Where the server listens, what answers, and the bounds that keep a flood from growing memory or work. */
export interface DnsServerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** UDP and TCP port; 0 picks one free for both. */
  readonly port: number;
  readonly respond: (message: Buffer, transport: 'udp' | 'tcp') => Promise<Buffer | undefined>;
  /** Queries answered at once, over both transports. @default 256 */
  readonly maxInFlight?: number;
  /** Open TCP connections; more are closed as they arrive. @default 64 */
  readonly maxTcpConnections?: number;
  /** A TCP connection is closed after this long without a query. @default 10,000 */
  readonly tcpIdleMs?: number;
}

/** A running DNS server. */
export interface DnsServer {
  /** The port both transports listen on. */
  readonly port: number;
  /** Queries dropped or refused because `maxInFlight` were being answered. */
  readonly shed: () => number;
  stop(): Promise<void>;
}

/**
 * Serves `respond` over UDP and TCP on one port.
 *
 * @example
 * const server = await startDnsServer({ port: 0, respond });
 * console.log(server.port);
 * await server.stop();
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  const maxInFlight = options.maxInFlight ?? 256;
  const idleMs = options.tcpIdleMs ?? 10_000;
  let inFlight = 0;
  let shed = 0;
  let stopped = false;
  const answer = async (message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> => {
    inFlight++;
    try {
      return await options.respond(message, transport);
    } catch {
      return undefined; // the responder answers every failure itself; this is the last guard against a crash
    } finally {
      inFlight--;
    }
  };

  const sockets = new Set<Socket>();
  const tcp = createServer({ pauseOnConnect: false }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(idleMs, () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    let pending = 0;
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      // At most one frame (2 + 65,535 bytes) is ever held: a frame is cut out as soon as it is complete.
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (length === 0) return void socket.destroy();
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        if (++pending > MAX_PIPELINED) return void socket.destroy();
        const overloaded = inFlight >= maxInFlight;
        if (overloaded) shed++;
        const reply = overloaded ? Promise.resolve(serverFailure(message)) : answer(message, 'tcp');
        // Replies go out in the order the queries came (a client may pipeline; RFC 7766 allows either order).
        chain = chain.then(async () => {
          const bytes = await reply;
          pending--;
          if (bytes && !socket.destroyed) {
            const frame = Buffer.alloc(2 + bytes.length);
            frame.writeUInt16BE(bytes.length, 0);
            bytes.copy(frame, 2);
            socket.write(frame);
          }
        });
      }
    });
  });
  tcp.maxConnections = options.maxTcpConnections ?? 64;

  let udp: UdpSocket | undefined;
  let port = options.port;
  // Port 0: take a free TCP port, then the same number for UDP; rarely it is taken for UDP, so try again.
  for (let attempt = 0; ; attempt++) {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(options.port === 0 ? 0 : port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    port = (tcp.address() as { port: number }).port;
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      udp = socket;
      break;
    } catch (error) {
      socket.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (options.port !== 0 || attempt >= 4) throw error;
    }
  }
  udp.on('error', () => undefined); // an ICMP error for one client must not end the server
  udp.on('message', (message, remote) => {
    if (inFlight >= maxInFlight) {
      shed++;
      return; // dropped: the client retries, and a flood cannot queue unbounded work
    }
    void answer(message, 'udp').then((bytes) => {
      // A read that finishes after stop() has nothing to send on: a closed socket throws.
      if (bytes && !stopped) udp!.send(bytes, remote.port, remote.address, () => undefined);
    });
  });

  return {
    port,
    shed: () => shed,
    stop: async () => {
      stopped = true;
      for (const socket of sockets) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => tcp.close(() => resolve())), new Promise<void>((resolve) => udp!.close(() => resolve()))]);
      // Let reads under way finish (a few seconds at most), so the runtime stops DynamoDB Local under none of them.
      for (const deadline = Date.now() + 5000; inFlight > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}

/** SERVFAIL for a query turned away under load (the header is enough; no question echoed). */
function serverFailure(message: Buffer): Buffer | undefined {
  if (message.length < 12 || message.readUInt16BE(2) & 0x8000) return undefined;
  return packet.encode({ type: 'response', id: message.readUInt16BE(0), flags: RCODE.SERVFAIL, questions: [] });
}

/** How the local runtime runs its DNS server (see {@link startRegistryDns}). */
export interface LocalDnsOptions {
  /** The API's bind address: DNS listens on the same one. */
  readonly host: string;
  readonly port: number;
  readonly domain: string;
  readonly ttlSeconds: number;
  /** Whether the runtime requires bearer tokens (`REGISTRY_AUTH_FILE`). */
  readonly authEnabled: boolean;
  /** Services DNS may show when auth is on (`REGISTRY_DNS_READ`; `*` for all). @default - none: every query REFUSED */
  readonly read?: readonly string[];
  /** The runtime's registry, which DNS reads through like the HTTP functions. */
  readonly registry: Registry;
}

/**
 * The local runtime's DNS server over the registry. DNS carries no credentials, so who reads is decided here:
 * - open mode (no auth file): every HTTP caller is the anonymous reader that may read everything, and the runtime
 *   refuses to bind anything but loopback, so DNS on the same loopback address shows no one anything the HTTP API
 *   would not;
 * - with an auth file: DNS reads as a principal `dns` whose read scope is `read` (`REGISTRY_DNS_READ`), nothing by
 *   default, so a runtime bound beyond loopback never answers for a service nobody chose to publish (REFUSED).
 */
export async function startRegistryDns(options: LocalDnsOptions): Promise<DnsServer> {
  const { registry } = options;
  const caller: Caller = {
    principal: options.authEnabled ? 'dns' : 'anonymous',
    services: [],
    read: options.authEnabled ? [...(options.read ?? [])] : ['*'],
    admin: false,
  };
  const zone = { domain: options.domain, ttlSeconds: options.ttlSeconds };
  const respond = createDnsResponder({ ...zone, lookup: (service) => readServiceRecordSets(registry, caller, service, zone) });
  return startDnsServer({ host: options.host, port: options.port, respond });
}
