/**
 * The local runtime's DNS server, asked by a real client: BIND's `dig` (Debian dnsutils), over UDP and TCP.
 * Instances are registered through the HTTP API; answers must follow discovery (healthy only, failing open).
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import packet from 'dns-packet';
import { instanceLabel } from '../../../lambdas/connectors/dns.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, startTestRuntime } from '../../support.js';

const run = promisify(execFile);

interface Dig {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
}

/** Runs dig and reads its status, header flags and sections (each record split into fields). */
async function dig(port: number, args: string[]): Promise<Dig> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=3', '+tries=1', ...args]);
  const section = (title: string) => {
    const start = stdout.indexOf(`;; ${title} SECTION:`);
    if (start < 0) return [];
    const lines = stdout.slice(start).split('\n').slice(1);
    const end = lines.findIndex((l) => l.trim() === '');
    return lines.slice(0, end < 0 ? undefined : end).map((l) => l.split(/\s+/));
  };
  return {
    status: /status: (\w+)/.exec(stdout)?.[1] ?? `no status in: ${stdout}`,
    flags: (/flags: ([a-z ]*);/.exec(stdout)?.[1] ?? '').trim().split(' '),
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
  };
}

let runtime: LocalRuntime;
let port: number;
const api = () => apiClient(runtime.url);
const D = 'registry.internal';

beforeAll(async () => {
  runtime = await startTestRuntime({ dnsPort: 0, prober: false });
  port = runtime.dnsPort!;
  const reg = (id: string, body: object) => api().register('web', id, { port: 8080, leaseSeconds: 300, ...body });
  expect((await reg('web-1', { address: '10.1.0.1', tags: ['blue'], weight: 200 })).status).toBe(201);
  expect((await reg('Web_2', { address: '10.1.0.2', port: 9090, tags: ['green'] })).status).toBe(201);
  expect((await reg('web-6', { address: 'fd00::6', tags: ['blue'] })).status).toBe(201);
});

afterAll(async () => {
  await runtime?.stop();
});

describe('SRV', () => {
  it.each([
    ['UDP', '+notcp'],
    ['TCP', '+tcp'],
  ])('answers SRV over %s with weight, port and a target that resolves in the additional section', async (_, transport) => {
    const reply = await dig(port, [transport, `_web._tcp.${D}`, 'SRV']);
    expect(reply.status).toBe('NOERROR');
    expect(reply.flags).toContain('aa');
    const srv = reply.answer.map((r) => r.slice(3).join(' ')).sort();
    expect(srv).toEqual(
      [
        `SRV 0 13000 8080 web-1.instance.web.${D}.`,
        `SRV 0 6500 8080 web-6.instance.web.${D}.`,
        `SRV 0 6500 9090 ${instanceLabel('Web_2')}.instance.web.${D}.`,
      ].sort(),
    );
    expect(reply.answer[0]![1]).toBe('5'); // the TTL
    const additional = reply.additional
      .filter((r) => r[3] === 'A' || r[3] === 'AAAA')
      .map((r) => `${r[0]} ${r[3]} ${r[4]}`)
      .sort();
    expect(additional).toEqual(
      [`${instanceLabel('Web_2')}.instance.web.${D}. A 10.1.0.2`, `web-1.instance.web.${D}. A 10.1.0.1`, `web-6.instance.web.${D}. AAAA fd00::6`].sort(),
    );
  });

  it('answers the SRV target itself with its address', async () => {
    const reply = await dig(port, [`${instanceLabel('Web_2')}.instance.web.${D}`, 'A']);
    expect(reply.answer.map((r) => r[4])).toEqual(['10.1.0.2']);
  });
});

describe('A and AAAA', () => {
  it("answers A and AAAA of the service with its instances' addresses", async () => {
    expect((await dig(port, [`web.${D}`, 'A'])).answer.map((r) => r[4]).sort()).toEqual(['10.1.0.1', '10.1.0.2']);
    expect((await dig(port, ['+tcp', `web.${D}`, 'AAAA'])).answer.map((r) => r[4])).toEqual(['fd00::6']);
  });

  it('filters by tag with <tag>.<service>, case-insensitively', async () => {
    expect((await dig(port, [`BLUE.web.${D}`, 'A'])).answer.map((r) => r[4])).toEqual(['10.1.0.1']);
    expect((await dig(port, [`green.web.${D}`, 'A'])).answer.map((r) => r[4])).toEqual(['10.1.0.2']);
  });
});

describe('hostnames', () => {
  it('makes a registered hostname the SRV target itself and leaves it out of A', async () => {
    expect((await api().register('ext', 'e1', { address: 'db-1.invalid', port: 5432, leaseSeconds: 300 })).status).toBe(201);
    expect((await dig(port, [`_ext._tcp.${D}`, 'SRV'])).answer.map((r) => r.slice(4).join(' '))).toEqual(['0 6500 5432 db-1.invalid.']);
    expect((await dig(port, [`ext.${D}`, 'A'])).status).toBe('NXDOMAIN');
  });
});

describe('health', () => {
  it('leaves out an instance that is not healthy, and fails open when none is', async () => {
    const reg = (id: string, address: string) => api().register('shop', id, { address, port: 80, leaseSeconds: 300 });
    await reg('a', '10.2.0.1');
    await reg('b', '10.2.0.2');
    expect((await api().patch('shop', 'b', { status: 'DRAINING' })).status).toBe(200);
    expect((await dig(port, [`shop.${D}`, 'A'])).answer.map((r) => r[4])).toEqual(['10.2.0.1']);
    expect((await api().patch('shop', 'a', { status: 'DRAINING' })).status).toBe(200);
    expect((await dig(port, [`shop.${D}`, 'A'])).answer.map((r) => r[4]).sort()).toEqual(['10.2.0.1', '10.2.0.2']);
  });

  it('stops answering for an instance once it is deregistered, and with NXDOMAIN once the service is empty', async () => {
    await api().register('gone', 'only', { address: '10.3.0.1', port: 80, leaseSeconds: 300 });
    expect((await dig(port, [`_gone._tcp.${D}`, 'SRV'])).answer).toHaveLength(1);
    expect((await api().deregister('gone', 'only')).status).toBe(204);
    expect((await dig(port, [`_gone._tcp.${D}`, 'SRV'])).status).toBe('NXDOMAIN');
  });
});

describe('errors', () => {
  it('answers NXDOMAIN with the SOA for an unknown service', async () => {
    const reply = await dig(port, [`nosuch.${D}`, 'A']);
    expect(reply.status).toBe('NXDOMAIN');
    expect(reply.authority.map((r) => r[3])).toEqual(['SOA']);
  });

  it('answers REFUSED outside the domain and for another class', async () => {
    expect((await dig(port, ['example.com', 'A'])).status).toBe('REFUSED');
    expect((await dig(port, ['+tcp', 'example.com', 'A'])).status).toBe('REFUSED');
    expect((await dig(port, ['CH', 'TXT', 'version.bind'])).status).toBe('REFUSED');
  });

  it('answers NOERROR with no records (NODATA) for a known name asked another type', async () => {
    const reply = await dig(port, [`web.${D}`, 'MX']);
    expect(reply.status).toBe('NOERROR');
    expect(reply.answer).toEqual([]);
    expect(reply.authority.map((r) => r[3])).toEqual(['SOA']);
    expect((await dig(port, [`instance.web.${D}`, 'A'])).status).toBe('NOERROR'); // a name with names below it
  });

  it('answers odd names with NXDOMAIN and odd types with NODATA', async () => {
    expect((await dig(port, [`bad_label.${D}`, 'A'])).status).toBe('NXDOMAIN');
    expect((await dig(port, [`a.b.c.web.${D}`, 'A'])).status).toBe('NXDOMAIN');
    const odd = await dig(port, [`web.${D}`, 'TYPE65400']);
    expect([odd.status, odd.answer]).toEqual(['NOERROR', []]);
    expect((await dig(port, [`_web._tcp.${D}`, 'ANY'])).answer.map((r) => r[3])).toEqual(['SRV', 'SRV', 'SRV']);
  });

  it('answers NOTIMP for an opcode other than QUERY', async () => {
    expect((await dig(port, ['+opcode=status', `web.${D}`, 'A'])).status).toBe('NOTIMP');
  });

  it('answers FORMERR for a message that does not parse', async () => {
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x62, 0x72, 0x6f]);
    const reply = packet.decode(await udpExchange(port, garbage));
    expect(reply.id).toBe(0x1234);
    expect((reply as { rcode?: string }).rcode).toBe('FORMERR');
  });
});

describe('truncation', () => {
  beforeAll(async () => {
    for (let i = 0; i < 30; i++) await api().register('big', `big-${i}`, { address: `10.9.0.${i + 1}`, port: 8000 + i, leaseSeconds: 300 });
  });

  it('sets TC over UDP when the answer does not fit 512 bytes, and answers in full over TCP', async () => {
    const udp = await dig(port, ['+notcp', '+noedns', '+ignore', `_big._tcp.${D}`, 'SRV']);
    expect(udp.flags).toContain('tc');
    expect(udp.answer.length).toBeLessThan(30);
    const tcp = await dig(port, ['+tcp', `_big._tcp.${D}`, 'SRV']);
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(30);
  });

  it('fits more over UDP when the query offers a larger EDNS size', async () => {
    const reply = await dig(port, ['+notcp', '+bufsize=4096', '+ignore', `big.${D}`, 'A']);
    expect(reply.flags).not.toContain('tc');
    expect(reply.answer).toHaveLength(30);
  });

  it('lets dig retry over TCP by itself after a truncated UDP answer', async () => {
    const reply = await dig(port, ['+notcp', '+noedns', `_big._tcp.${D}`, 'SRV']);
    expect(reply.answer).toHaveLength(30);
  });
});

describe('flood', () => {
  it('survives thousands of queries, garbage and idle TCP connections, then answers a normal query', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const valid = packet.encode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: 'SRV', name: `_big._tcp.${D}` }] });
    const odd = packet.encode({ type: 'query', id: 8, questions: [{ type: 'TXT', name: `x${'a'.repeat(60)}.web.${D}`, class: 'CH' }] });
    const tcp = Array.from({ length: 150 }, () => connect(port, '127.0.0.1').on('error', () => undefined));
    for (let i = 0; i < 5000; i++) {
      const kind = i % 4;
      const bytes =
        kind === 0
          ? valid
          : kind === 1
            ? odd
            : kind === 2
              ? Buffer.from(Array.from({ length: i % 40 }, (_, j) => (i * 31 + j) & 0xff))
              : Buffer.concat([valid.subarray(0, 14), Buffer.alloc(3, 0xff)]);
      socket.send(bytes, port, '127.0.0.1');
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Oversized and malformed TCP frames on some of the connections.
    for (const [i, s] of tcp.entries()) if (i % 3 === 0) s.write(Buffer.from([0x00, 0x00, 0xde, 0xad]));
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    for (const s of tcp) s.destroy();
    const reply = await dig(port, ['+tcp', `web.${D}`, 'A']);
    expect(reply.status).toBe('NOERROR');
    expect(reply.answer.map((r) => r[4]).sort()).toEqual(['10.1.0.1', '10.1.0.2']);
    expect((await dig(port, [`web.${D}`, 'A'])).status).toBe('NOERROR');
  });
});

describe('auth', () => {
  it('refuses every service when the runtime requires tokens and DNS was given no read scope, and answers those it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dns-auth-'));
    const file = join(dir, 'auth.json');
    writeFileSync(file, JSON.stringify({ tokens: { 'writer-token-0123456789': { principal: 'w', services: ['*'] } } }));
    const closed = await startTestRuntime({ authFile: file, dnsPort: 0, prober: false, dynamoEndpoint: runtime.dynamoEndpoint, tableName: runtime.tableName });
    try {
      expect((await dig(closed.dnsPort!, [`web.${D}`, 'A'])).status).toBe('REFUSED');
    } finally {
      await closed.stop();
    }
    const scoped = await startTestRuntime({
      authFile: file,
      dnsPort: 0,
      dnsRead: ['web'],
      prober: false,
      dynamoEndpoint: runtime.dynamoEndpoint,
      tableName: runtime.tableName,
    });
    try {
      expect((await dig(scoped.dnsPort!, [`web.${D}`, 'A'])).answer.map((r) => r[4]).sort()).toEqual(['10.1.0.1', '10.1.0.2']);
      expect((await dig(scoped.dnsPort!, [`shop.${D}`, 'A'])).status).toBe('REFUSED');
    } finally {
      await scoped.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Sends one UDP message and returns the first reply. */
async function udpExchange(to: number, message: Buffer): Promise<Buffer> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply within 3 s')), 3000);
      socket.once('message', (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      socket.send(message, to, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
