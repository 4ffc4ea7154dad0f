/**
 * A real load balancer resolving through the registry's DNS: Debian's HAProxy with a `resolvers` section and a
 * `server-template` over the SRV name, routing HTTP to instances registered in the local runtime. An instance
 * deregistered, or marked critical by the prober, stops getting requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../local/runtime.js';
import { jest } from '@jest/globals';
import { apiClient, sleep, startTestRuntime } from '../../support.js';

jest.setTimeout(90_000);

interface Backend {
  readonly id: string;
  readonly port: number;
  /** When true, `/health` answers 503 (the prober's check fails). */
  failing: boolean;
  readonly server: Server;
}

async function startBackend(id: string): Promise<Backend> {
  const backend = { id, failing: false } as Backend;
  const server = createServer((req, res) => {
    if (req.url === '/health') res.writeHead(backend.failing ? 503 : 200).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(id);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(backend, { server, port: (server.address() as AddressInfo).port });
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let runtime: LocalRuntime;
let haproxy: ChildProcess | undefined;
let haproxyLog = '';
let frontend: number;
let dir: string;
const backends: Backend[] = [];

/** Ids that answered `count` requests through HAProxy (connection errors count as `error`). */
async function answers(count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${frontend}/`, { headers: { connection: 'close' } });
      seen.add(res.status === 200 ? await res.text() : `status ${res.status}`);
    } catch {
      seen.add('error');
    }
  }
  return seen;
}

/** Polls until `predicate` holds for a round of requests, or fails with what HAProxy last routed to. */
async function eventually(predicate: (seen: Set<string>) => boolean, what: string, timeoutMs = 30_000): Promise<Set<string>> {
  const deadline = Date.now() + timeoutMs;
  let seen = new Set<string>();
  while (Date.now() < deadline) {
    seen = await answers(24);
    if (predicate(seen)) return seen;
    await sleep(250);
  }
  throw new Error(`HAProxy never ${what}; last round reached ${[...seen].join(', ')}\n${haproxyLog.slice(-2000)}`);
}

beforeAll(async () => {
  runtime = await startTestRuntime({ dnsPort: 0, probeIntervalSeconds: 1 });
  for (const id of ['web-a', 'web-b', 'web-c']) backends.push(await startBackend(id));
  const api = apiClient(runtime.url);
  for (const b of backends) {
    const reply = await api.register('web', b.id, {
      address: '127.0.0.1',
      port: b.port,
      healthCheck: { type: 'http', path: '/health', intervalSeconds: 1, timeoutSeconds: 1, unhealthyThreshold: 1, healthyThreshold: 1 },
    });
    expect(reply.status).toBe(201);
  }
  frontend = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 100',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      'resolvers r',
      `  nameserver registry 127.0.0.1:${runtime.dnsPort}`,
      '  accepted_payload_size 8192',
      '  resolve_retries 3',
      '  timeout resolve 250ms',
      '  timeout retry 250ms',
      '  hold valid 1s',
      '  hold obsolete 0s',
      '  hold nx 1s',
      'frontend fe',
      `  bind 127.0.0.1:${frontend}`,
      '  default_backend be',
      'backend be',
      '  balance roundrobin',
      '  retries 0',
      '  server-template web 5 _web._tcp.registry.internal resolvers r resolve-prefer ipv4 init-addr none',
      '',
    ].join('\n'),
  );
  haproxy = spawn('/usr/sbin/haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout!.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
  haproxy.stderr!.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
});

afterAll(async () => {
  if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) {
    const exited = new Promise<void>((resolve) => haproxy!.once('exit', () => resolve()));
    haproxy.kill('SIGTERM');
    await exited;
  }
  for (const b of backends) await new Promise<void>((resolve) => b.server.close(() => resolve()));
  await runtime?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('routes requests across every registered instance found through the SRV name', async () => {
  // While the probes settle (health unknown → passing, one instance after another) the SRV answer changes and HAProxy
  // may briefly answer 503 from a slot in transition; what must come is a steady round served by all three and only them.
  const seen = await eventually(
    (s) => ['web-a', 'web-b', 'web-c'].every((id) => s.has(id)) && [...s].every((id) => id.startsWith('web-')),
    'reached all three instances and nothing else',
  );
  expect([...seen].sort()).toEqual(['web-a', 'web-b', 'web-c']);
});

it('stops sending to an instance that is deregistered', async () => {
  expect((await apiClient(runtime.url).deregister('web', 'web-c')).status).toBe(204);
  await eventually((s) => !s.has('web-c') && s.has('web-a') && s.has('web-b') && s.size === 2, 'stopped sending to web-c');
});

it('stops sending to an instance the prober marks critical', async () => {
  backends.find((b) => b.id === 'web-b')!.failing = true;
  await eventually((s) => s.size === 1 && s.has('web-a'), 'stopped sending to web-b');
  const instance = await apiClient(runtime.url).get('web', 'web-b');
  expect(instance.body.health).toBe('critical');
});
