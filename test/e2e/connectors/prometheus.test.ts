/**
 * The real client: Debian's Prometheus discovers scrape targets from the local runtime's `GET /v1/sd/prometheus`
 * (`http_sd_configs` with a bearer token, `refresh_interval: 1s`), scrapes tiny `/metrics` servers registered in the
 * registry, and drops an instance that is deregistered or marked critical on a later refresh. Prometheus hands
 * discovery updates to its scrape manager at most every 5 s, so every wait polls with a deadline.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, startTestRuntime } from '../../support.js';
import { startPrometheus, waitForTargets, type ActiveTarget, type PrometheusServer } from './prometheus-server.js';

const WRITER = 'writer-token-0123456789';
/** What Prometheus presents: it may read `web` and `api`, not `secret`. */
const PROMETHEUS = 'prometheus-token-012345';

/** A tiny exporter: `/metrics` (and `/custom-metrics`) in the text format, `/health` answering `healthStatus`. */
async function exporter(name: string, host = '127.0.0.1'): Promise<{ server: Server; port: number; setHealth(status: number): void }> {
  let healthStatus = 200;
  const server = createServer((req, res) => {
    if (req.url === '/health') return void res.writeHead(healthStatus).end();
    if (req.url === '/metrics' || req.url === '/custom-metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return void res.end(`# TYPE exporter_up gauge\nexporter_up{exporter="${name}",path="${req.url}"} 1\n`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, setHealth: (status) => (healthStatus = status) };
}

/** Whether this machine has IPv6 loopback (some containers run without IPv6): the IPv6 target test needs it. */
const ipv6 = await new Promise<boolean>((resolve) => {
  const probe = createNetServer()
    .once('error', () => resolve(false))
    .listen(0, '::1', () => probe.close(() => resolve(true)));
});

let runtime: LocalRuntime;
let prometheus: PrometheusServer;
const exporters: Array<Awaited<ReturnType<typeof exporter>>> = [];
const writer = () => apiClient(runtime.url, WRITER);
const byInstance = (targets: ActiveTarget[]) => Object.fromEntries(targets.map((t) => [t.labels.instance_id, t]));
/** The targets of one scrape job. */
const of = (job: string, done: (targets: ActiveTarget[]) => boolean, timeoutMs?: number) =>
  waitForTargets(prometheus, (all) => done(all.filter((t) => t.scrapePool === job)), timeoutMs).then((all) => all.filter((t) => t.scrapePool === job));

let authDir: string | undefined;
beforeAll(async () => {
  const dir = (authDir = mkdtempSync(join(tmpdir(), 'registry-auth-')));
  writeFileSync(
    join(dir, 'auth.json'),
    JSON.stringify({
      tokens: {
        [WRITER]: { principal: 'deployer', services: ['*'], admin: false },
        [PROMETHEUS]: { principal: 'prometheus', services: [], read: ['web', 'api', 'v6'], admin: false },
      },
    }),
  );
  runtime = await startTestRuntime({ authFile: join(dir, 'auth.json'), probeIntervalSeconds: 1 });
  for (const name of ['web-1', 'web-2', 'api-1', 'secret-1']) exporters.push(await exporter(name));
  const [web1, web2, api1, secret1] = exporters.map((e) => e.port);
  const registrations = [
    [
      'web',
      'web-1',
      {
        address: '127.0.0.1',
        port: web1,
        zone: 'z1',
        tags: ['v2', 'canary'],
        metadata: { 'prometheus.io/path': '/custom-metrics', team: 'shop' },
        leaseSeconds: 300,
      },
    ],
    ['web', 'web-2', { address: '127.0.0.1', port: web2, zone: 'z2', tags: ['v2'], leaseSeconds: 300 }],
    // Probe-driven: the prober marks it critical once its /health fails.
    [
      'api',
      'api-1',
      { address: '127.0.0.1', port: api1, healthCheck: { type: 'http', path: '/health', intervalSeconds: 1, unhealthyThreshold: 1, healthyThreshold: 1 } },
    ],
    ['secret', 'secret-1', { address: '127.0.0.1', port: secret1, leaseSeconds: 300 }],
  ] as const;
  for (const [service, id, body] of registrations) expect((await writer().register(service, id, body)).status).toBe(201);
  if (ipv6) {
    exporters.push(await exporter('v6-1', '::1'));
    expect((await writer().register('v6', 'v6-1', { address: '::1', port: exporters[4]!.port, leaseSeconds: 300 })).status).toBe(201);
  }
  const sd = (query = '') => ({
    url: `${runtime.url}/v1/sd/prometheus${query}`,
    refresh_interval: '1s',
    // `type: Bearer` spelled out: http_sd_configs does not default it, whatever the docs say, and sends the bare
    // token (https://github.com/prometheus/docs/issues/2377; seen with Debian's 2.42).
    authorization: { type: 'Bearer', credentials: PROMETHEUS },
  });
  prometheus = await startPrometheus({
    global: { scrape_interval: '1s', scrape_timeout: '1s' },
    scrape_configs: [
      {
        job_name: 'registry',
        http_sd_configs: [sd()],
        relabel_configs: [
          // Service v6 is the other job's.
          { source_labels: ['__meta_registry_service'], regex: 'v6', action: 'drop' },
          { source_labels: ['__meta_registry_service'], target_label: 'service' },
          { source_labels: ['__meta_registry_instance_id'], target_label: 'instance_id' },
          { source_labels: ['__meta_registry_zone'], target_label: 'zone' },
          { source_labels: ['__meta_registry_metadata_team'], target_label: 'team' },
        ],
      },
      { job_name: 'v6', http_sd_configs: [sd('?service=v6')] },
    ],
  });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await runtime?.stop();
  await Promise.all(exporters.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
  if (authDir) rmSync(authDir, { recursive: true, force: true });
});

describe('Prometheus with http_sd_configs pointed at the registry', () => {
  it('scrapes every instance its token may read, with the registry labels, and none it may not', async () => {
    const targets = await of('registry', (list) => list.length === 3 && list.every((t) => t.health === 'up'));
    const found = byInstance(targets);
    expect(Object.keys(found).sort()).toEqual(['api-1', 'web-1', 'web-2']);
    expect(found['web-1']!.labels).toMatchObject({
      job: 'registry',
      service: 'web',
      instance_id: 'web-1',
      zone: 'z1',
      team: 'shop',
      instance: `127.0.0.1:${exporters[0]!.port}`,
    });
    expect(found['web-1']!.discoveredLabels).toMatchObject({
      __meta_registry_service: 'web',
      __meta_registry_instance_id: 'web-1',
      __meta_registry_zone: 'z1',
      __meta_registry_tags: ',v2,canary,',
      __meta_registry_metadata_prometheus_io_path: '/custom-metrics',
      __meta_registry_health: 'passing',
      __meta_registry_status: 'UP',
      __metrics_path__: '/custom-metrics',
    });
    // The metadata's path is the one scraped; the others use Prometheus' default.
    expect(found['web-1']!.scrapeUrl).toBe(`http://127.0.0.1:${exporters[0]!.port}/custom-metrics`);
    expect(found['web-2']!.scrapeUrl).toBe(`http://127.0.0.1:${exporters[1]!.port}/metrics`);
    expect(found['api-1']!.labels).toMatchObject({ service: 'api', instance_id: 'api-1' });
    expect(targets.some((t) => t.discoveredLabels.__meta_registry_service === 'secret')).toBe(false);
  }, 40_000);

  (ipv6 ? it : it.skip)(
    'scrapes an IPv6 instance through its bracketed target, for a job that names its service',
    async () => {
      const [target] = await of('v6', (list) => list.length === 1 && list[0]!.health === 'up');
      expect(target!.discoveredLabels).toMatchObject({ __address__: `[::1]:${exporters[4]!.port}`, __meta_registry_service: 'v6' });
      expect(target!.scrapeUrl).toBe(`http://[::1]:${exporters[4]!.port}/metrics`);
    },
    40_000,
  );

  it('drops a deregistered instance and an instance marked critical on a later refresh', async () => {
    await of('registry', (list) => list.length === 3);
    expect((await writer().deregister('web', 'web-2')).status).toBe(204);
    exporters[2]!.setHealth(500);
    const targets = await of('registry', (list) => list.length === 1, 30_000);
    expect(targets[0]!.labels.instance_id).toBe('web-1');
    expect((await writer().get('api', 'api-1')).body.health).toBe('critical');
  }, 45_000);

  it('takes a recovered instance back', async () => {
    exporters[2]!.setHealth(200);
    const targets = await of('registry', (list) => list.length === 2 && list.every((t) => t.health === 'up'), 30_000);
    expect(Object.keys(byInstance(targets)).sort()).toEqual(['api-1', 'web-1']);
  }, 45_000);
});
