/**
 * The telemetry port: what the domain and the handlers report, by the names declared in lambdas/metrics.ts. Two
 * adapters: Powertools Metrics (CloudWatch EMF) in AWS, prom-client (`GET /metrics`) in the local runtime. No AWS
 * imports here.
 */
import type { MetricLabels, MetricName } from '../metrics.js';

export interface Telemetry {
  /** Adds `value` (default 1) to a counter. */
  count(name: MetricName, labels?: MetricLabels, value?: number): void;
  /** Records one value of a histogram or sets a gauge, in the metric's declared unit. */
  observe(name: MetricName, value: number, labels?: MetricLabels): void;
  /** Sends what is buffered (EMF: one log line per invocation); a no-op where nothing is buffered. */
  flush(): void;
}

/** Telemetry that goes nowhere (tests of code that reports). */
export const NO_TELEMETRY: Telemetry = { count: () => undefined, observe: () => undefined, flush: () => undefined };
