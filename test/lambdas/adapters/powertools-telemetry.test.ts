/**
 * The Powertools adapter writes CloudWatch EMF to stdout: captured here and checked for the names, units and
 * dimensions declared in lambdas/metrics.ts.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsTelemetry } from '../../../lambdas/adapters/powertools-telemetry.js';
import { reportRound } from '../../../lambdas/domain/prober-loop.js';
import type { RoundReport } from '../../../lambdas/domain/prober.js';
import { reportPublished } from '../../../lambdas/domain/publisher.js';
import { METRICS, METRICS_NAMESPACE, cloudWatchMetrics, type MetricDeclaration } from '../../../lambdas/metrics.js';

interface Emf {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

const saved = { ...process.env };
let lines: string[];
let restore: () => void;

/** EMF is enabled only when POWERTOOLS_METRICS_DISABLED is unset at construction (the test config sets it). */
function emfTelemetry() {
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;
  return new PowertoolsTelemetry(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'service-registry' }));
}

beforeEach(() => {
  lines = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  restore = () => {
    process.stdout.write = write;
  };
});
afterEach(() => {
  restore();
  process.env = { ...saved };
});

const documents = (): Emf[] =>
  lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);
const find = (name: string) => documents().filter((d) => d._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name));

const round: RoundReport = {
  services: 2,
  instances: 5,
  targets: 4,
  failedTargets: 1,
  deferredTargets: 2,
  transitions: 1,
  expiredMarked: 0,
  expired: 0,
  removedCritical: 0,
  writes: 3,
  protection: { engaged: true, probeEngaged: false, leaseEngaged: true, failedTargets: 1, probedTargets: 4, expiredLeases: 3, leasedInstances: 4, atMs: 0 },
  protectionChanged: false,
  durationMs: 42,
  byState: [
    { status: 'UP', health: 'passing', count: 3 },
    { status: 'DRAINING', health: 'critical', count: 1 },
  ],
};

describe('PowertoolsTelemetry', () => {
  it('buffers undimensioned metrics into one EMF document per flush, with the declared unit and the service dimension only', () => {
    const telemetry = emfTelemetry();
    reportPublished(telemetry, { published: 3, errors: ['ThrottlingException: x'], changedAtMs: [1000, 1500] }, 2000);
    const [published] = find('EventsPublished');
    expect(published!._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
    expect(published!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(published!.service).toBe('service-registry');
    expect(published!.EventsPublished).toBe(3);
    expect(published!.PublishFailures).toBe(1);
    expect(published!._aws.CloudWatchMetrics[0]!.Metrics).toEqual(expect.arrayContaining([{ Name: 'EventsPublished', Unit: 'Count' }]));
  });

  it("keeps a batch's propagation lags in its one document, as one value array", () => {
    const telemetry = emfTelemetry();
    reportPublished(telemetry, { published: 2, errors: [], changedAtMs: [1000, 1500] }, 2000);
    const lag = find('PropagationLag');
    expect(lag).toHaveLength(1);
    expect(lag[0]!.PropagationLag).toEqual([1000, 500]);
    expect(lag[0]!._aws.CloudWatchMetrics[0]!.Metrics).toEqual(expect.arrayContaining([{ Name: 'PropagationLag', Unit: 'Milliseconds' }]));
  });

  it('sends a dimensioned metric at once in its own document, keeping only the declared dimensions', () => {
    const telemetry = emfTelemetry();
    telemetry.count('ProbeOutcomes', { outcome: 'failed', service: 'orders' }, 2);
    const [document, ...rest] = find('ProbeOutcomes');
    expect(rest).toEqual([]);
    expect(document!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'outcome']]);
    expect(document!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: 'ProbeOutcomes', Unit: 'Count' }]);
    expect([document!.service, document!.outcome, document!.ProbeOutcomes]).toEqual(['service-registry', 'failed', 2]);
  });

  it('reports a prober round: outcomes by outcome, the guard by kind, instances by status and health, never by registered service', () => {
    const telemetry = emfTelemetry();
    reportRound(telemetry, round);
    const outcomes = Object.fromEntries(find('ProbeOutcomes').map((d) => [d.outcome, d.ProbeOutcomes]));
    expect(outcomes).toEqual({ passed: 3, failed: 1, deferred: 2 });
    const guard = Object.fromEntries(find('ProtectionEngaged').map((d) => [d.kind, d.ProtectionEngaged]));
    expect(guard).toEqual({ probe: 0, lease: 1 });
    const instances = find('Instances');
    expect(instances.map((d) => d._aws.CloudWatchMetrics[0]!.Dimensions)).toEqual([[['service', 'status', 'health']], [['service', 'status', 'health']]]);
    expect(instances.map((d) => [d.status, d.health, d.Instances])).toEqual([
      ['UP', 'passing', 3],
      ['DRAINING', 'critical', 1],
    ]);
    // `service` is Powertools' own default dimension (the function's service name), never a registered service.
    expect(new Set(documents().map((d) => d.service))).toEqual(new Set(['service-registry']));
    const [durations] = find('ProbeRoundDuration');
    expect(durations!.ProbeRoundDuration).toBe(42);
    expect(durations!._aws.CloudWatchMetrics[0]!.Metrics).toEqual(expect.arrayContaining([{ Name: 'ProbeRoundDuration', Unit: 'Milliseconds' }]));
  });

  it('emits nothing for metrics AWS measures itself (API Gateway requests)', () => {
    const telemetry = emfTelemetry();
    telemetry.count('HttpRequests', { route: 'RegisterInstance', status: '201' });
    telemetry.observe('HttpRequestDuration', 12, { route: 'RegisterInstance', status: '201' });
    telemetry.flush();
    expect(documents()).toEqual([]);
  });

  it('writes no EMF document when nothing is buffered', () => {
    const telemetry = emfTelemetry();
    telemetry.flush();
    expect(lines).toEqual([]);
  });
});

describe('the metric declarations', () => {
  it('never use `service` as a CloudWatch dimension (Powertools sets it to the function service name)', () => {
    for (const name of cloudWatchMetrics()) expect((METRICS[name] as MetricDeclaration).dimensions).not.toContain('service');
  });

  it('declare CloudWatch dimensions only among the Prometheus labels', () => {
    for (const name of cloudWatchMetrics()) {
      const { dimensions, labels } = METRICS[name] as MetricDeclaration;
      for (const dimension of dimensions || []) expect(labels).toContain(dimension);
    }
  });
});
