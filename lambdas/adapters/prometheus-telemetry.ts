/**
 * Telemetry into a prom-client registry (the local runtime's `GET /metrics`): one collector per declared metric,
 * named by `prometheusName`, milliseconds turned into seconds as Prometheus expects. Metrics declared `scraped`
 * are computed from the table when scraped (local/metrics.ts); what the prober emits for them is ignored here.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRICS, METRIC_NAMES, prometheusName, type MetricDeclaration, type MetricLabels, type MetricName } from '../metrics.js';
import type { Telemetry } from '../domain/telemetry.js';

type Collector = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * @example
 * const telemetry = new PrometheusTelemetry(new Registry());
 * telemetry.count('HttpRequests', { route: 'register', status: '200' });
 */
export class PrometheusTelemetry implements Telemetry {
  private readonly collectors = new Map<MetricName, Collector>();

  constructor(readonly registry: Registry) {
    for (const name of METRIC_NAMES) {
      const declaration: MetricDeclaration = METRICS[name];
      if (declaration.scraped) continue;
      const config = { name: prometheusName(name), help: declaration.help, labelNames: [...declaration.labels], registers: [registry] };
      this.collectors.set(
        name,
        declaration.type === 'counter'
          ? new Counter(config)
          : declaration.type === 'gauge'
            ? new Gauge(config)
            : new Histogram({ ...config, ...(declaration.buckets && { buckets: [...declaration.buckets] }) }),
      );
    }
  }

  count(name: MetricName, labels: MetricLabels = {}, value = 1): void {
    const collector = this.collectors.get(name);
    if (collector instanceof Counter) collector.inc(this.labels(name, labels), value);
  }

  observe(name: MetricName, value: number, labels: MetricLabels = {}): void {
    const collector = this.collectors.get(name);
    const scaled = METRICS[name].unit === 'Milliseconds' ? value / 1000 : value;
    if (collector instanceof Histogram) collector.observe(this.labels(name, labels), scaled);
    else if (collector instanceof Gauge) collector.set(this.labels(name, labels), scaled);
  }

  flush(): void {}

  /** Exactly the declared labels: a missing one would make prom-client throw, an extra one explode cardinality. */
  private labels(name: MetricName, labels: MetricLabels): Record<string, string> {
    return Object.fromEntries(METRICS[name].labels.map((l: string) => [l, labels[l] ?? 'none']));
  }
}
