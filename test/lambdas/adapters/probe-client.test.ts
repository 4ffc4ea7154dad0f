/** Probes against real servers on loopback: what passes, what fails, and what is refused before any connection. */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createProbe } from '../../../lambdas/adapters/probe-client.js';
import { AddressPolicy } from '../../../lambdas/domain/address-policy.js';
import { freePort } from '../../../local/dynamodb-local.js';

const hosts: Record<string, string[]> = {
  'svc.test': ['127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'mixed.test': ['127.0.0.1', '169.254.169.254'],
  'mapped.test': ['::ffff:169.254.169.254'],
};
const resolve = async (name: string) => {
  const found = hosts[name];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};
const probe = createProbe(new AddressPolicy({ allowLoopback: true, allowCidrs: [] }), resolve);
const strictProbe = createProbe(new AddressPolicy({ allowLoopback: false, allowCidrs: [] }), resolve);

let server: Server;
let port: number;
const seen: Array<{ path: string; host: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', host: req.headers.host ?? '' });
    if (req.url === '/ok') return res.writeHead(204).end();
    if (req.url === '/fail') return res.writeHead(500).end();
    if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end(), 3000);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const http = (address: string, path: string, timeoutSeconds = 2) => ({ type: 'http' as const, tls: false, address, port, path, timeoutSeconds });

describe('HTTP probes', () => {
  it('pass on 2xx', async () => {
    expect(await probe(http('127.0.0.1', '/ok'))).toEqual({ ok: true });
  });

  it('fail on 5xx', async () => {
    expect(await probe(http('127.0.0.1', '/fail'))).toEqual({ ok: false, reason: 'status 500' });
  });

  it('fail on a redirect without following it', async () => {
    const before = seen.length;
    expect(await probe(http('127.0.0.1', '/redirect'))).toEqual({ ok: false, reason: 'redirect 302 not followed' });
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/redirect']);
  });

  it('fail on a timeout', async () => {
    const started = Date.now();
    expect(await probe(http('127.0.0.1', '/slow', 1))).toEqual({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('fail on a closed port', async () => {
    const closed = await freePort();
    expect(await probe({ ...http('127.0.0.1', '/ok'), port: closed })).toMatchObject({ ok: false, reason: 'http: ECONNREFUSED' });
  });

  it('connect to the resolved, checked address and send the registered name as Host', async () => {
    const before = seen.length;
    expect(await probe(http('svc.test', '/ok'))).toEqual({ ok: true });
    expect(seen[before]).toEqual({ path: '/ok', host: `svc.test:${port}` });
  });
});

describe('refused targets', () => {
  it.each([
    ['a hostname resolving to the metadata address', 'metadata.test', /refused: link-local address 169\.254\.169\.254/],
    ['a hostname with one refused address among several', 'mixed.test', /refused: link-local/],
    ['a hostname resolving to an IPv4-mapped metadata address', 'mapped.test', /refused: link-local/],
    ['the metadata address itself', '169.254.169.254', /refused: link-local/],
  ])('refuses %s without connecting', async (_name, address, reason) => {
    const before = seen.length;
    const outcome = await probe(http(address, '/ok'));
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.reason).toMatch(reason);
    expect(seen.length).toBe(before);
  });

  it('refuses loopback unless allowed', async () => {
    expect(await strictProbe(http('127.0.0.1', '/ok'))).toMatchObject({ ok: false, reason: expect.stringMatching(/refused: loopback/) });
  });

  it('fails when the name does not resolve', async () => {
    expect(await probe(http('nowhere.test', '/ok'))).toEqual({ ok: false, reason: 'dns: ENOTFOUND' });
  });
});

describe('TCP probes', () => {
  it('pass when a connection is accepted and fail when refused', async () => {
    const tcp = createTcpServer((socket) => socket.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const open = (tcp.address() as AddressInfo).port;
    expect(await probe({ type: 'tcp', tls: false, address: '127.0.0.1', port: open, timeoutSeconds: 2 })).toEqual({ ok: true });
    await new Promise((r) => tcp.close(r));
    expect(await probe({ type: 'tcp', tls: false, address: '127.0.0.1', port: open, timeoutSeconds: 2 })).toMatchObject({ ok: false });
  });
});
