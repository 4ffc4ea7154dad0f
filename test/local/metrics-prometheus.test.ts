/**
 * The real Prometheus (Debian's binary) scrapes the local runtime's `/metrics` with a bearer token and answers a
 * PromQL query over what it scraped: the text format is one Prometheus itself accepts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import { prometheusName } from '../../lambdas/metrics.js';
import { apiClient, sleep, startTestRuntime } from '../support.js';
import { startPrometheus, waitForTargets, type PrometheusServer } from '../e2e/connectors/prometheus-server.js';

const TOKEN = 'prometheus-scraper-token-0123456789';

let runtime: LocalRuntime;
let prometheus: PrometheusServer | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-prometheus-'));
  const authFile = join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify({ tokens: { [TOKEN]: { principal: 'prometheus', services: ['*'], read: ['*'] } } }));
  runtime = await startTestRuntime({ authFile, prober: false });
});
afterAll(async () => {
  await prometheus?.stop();
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('is scraped by Prometheus, which answers a query over the registry counters', async () => {
  const api = apiClient(runtime.url, TOKEN);
  for (let i = 0; i < 3; i++) expect((await api.register('orders', `orders-${i}`, { address: `10.0.3.${i + 1}`, port: 8080 })).status).toBe(201);
  prometheus = await startPrometheus({
    global: { scrape_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'registry',
        authorization: { credentials: TOKEN },
        static_configs: [{ targets: [new URL(runtime.url).host] }],
      },
    ],
  });
  await waitForTargets(prometheus, (targets) => targets.some((t) => t.health === 'up'));

  const query = `sum by (route, status) (${prometheusName('HttpRequests')}{route="RegisterInstance"})`;
  let result: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
    result = ((await res.json()) as { data: { result: typeof result } }).data.result;
    if (result.length > 0) break;
    await sleep(250);
  }
  expect(result.map((r) => ({ ...r.metric, value: r.value[1] }))).toEqual([{ route: 'RegisterInstance', status: '201', value: '3' }]);

  const instances = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(`${prometheusName('Instances')}{service="orders"}`)}`);
  const series = ((await instances.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
  expect(series.map((s) => [s.metric.status, s.metric.health, s.value[1]])).toEqual([['UP', 'passing', '3']]);
}, 60_000);
