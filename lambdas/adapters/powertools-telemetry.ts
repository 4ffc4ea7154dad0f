/**
 * Telemetry as CloudWatch metrics through Powertools (Embedded Metric Format, written to stdout and turned into
 * metrics by CloudWatch Logs: no API call, no added latency). Metrics without dimensions are buffered on the shared
 * `Metrics` instance and leave with `flush()` (or the `logMetrics` middleware) once per invocation; a metric with
 * dimensions goes out at once as a single metric, because one EMF document carries one dimension set for all of its
 * metrics. Labels that are not declared dimensions are dropped (summed away), which keeps CloudWatch's cost bounded.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS, type MetricDeclaration, type MetricLabels, type MetricName } from '../metrics.js';
import type { Telemetry } from '../domain/telemetry.js';

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds } as const;

/**
 * @example
 * const telemetry = new PowertoolsTelemetry(metrics);
 * telemetry.count('EventsPublished', {}, 3);
 * telemetry.flush();
 */
export class PowertoolsTelemetry implements Telemetry {
  constructor(private readonly metrics: Metrics) {}

  count(name: MetricName, labels: MetricLabels = {}, value = 1): void {
    this.emit(name, value, labels);
  }

  observe(name: MetricName, value: number, labels: MetricLabels = {}): void {
    this.emit(name, value, labels);
  }

  /** Only when something is buffered: Powertools warns on an empty flush, and the prober flushes every round. */
  flush(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }

  private emit(name: MetricName, value: number, labels: MetricLabels): void {
    const declaration: MetricDeclaration = METRICS[name];
    if (declaration.dimensions === false) return; // AWS measures it itself (API Gateway's metrics)
    const dimensions = Object.fromEntries(declaration.dimensions.map((d) => [d, labels[d] ?? 'none']));
    const unit = UNITS[declaration.unit];
    if (Object.keys(dimensions).length === 0) {
      this.metrics.addMetric(name, unit, value);
      return;
    }
    const single = this.metrics.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, unit, value);
  }
}
