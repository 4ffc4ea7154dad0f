/** The README's `## Metrics` section says what lambdas/metrics.ts declares, and its cost figures hold. */
import { readFileSync } from 'node:fs';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsTelemetry } from '../../lambdas/adapters/powertools-telemetry.js';
import { reportRound } from '../../lambdas/domain/prober-loop.js';
import { METRICS, METRIC_NAMES, METRICS_NAMESPACE, prometheusName, type MetricDeclaration } from '../../lambdas/metrics.js';
import { healthState, instanceStatus } from '@service-registry/contracts';
import { STATUS_BY_KIND } from '../../lambdas/http/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('\n## Metrics\n'), readme.indexOf('\n## Benchmarks\n'));
const cells = (list: readonly string[] | false) => (list === false ? 'not sent' : list.length === 0 ? '—' : list.map((l) => `\`${l}\``).join(', '));

describe('README ## Metrics', () => {
  it('comes right before ## Benchmarks', () => {
    expect(section.length).toBeGreaterThan(100);
  });

  it('lists every declared metric with its names, type, labels and CloudWatch dimensions', () => {
    for (const name of METRIC_NAMES) {
      const d: MetricDeclaration = METRICS[name];
      const row = `| \`${prometheusName(name)}\` | \`${name}\` | ${d.type} | ${cells(d.labels)} | ${cells(d.dimensions)} |`;
      expect([name, section.includes(row)]).toEqual([name, true]);
    }
  });

  it('counts the custom metrics it prices: 12 without dimensions, 3 outcomes, 2 guard kinds, 6 status × health, 6 error kinds', () => {
    const sent = METRIC_NAMES.map((n) => METRICS[n] as MetricDeclaration).filter((d) => d.dimensions !== false);
    expect(sent.filter((d) => d.dimensions !== false && d.dimensions.length === 0)).toHaveLength(12);
    expect(instanceStatus.options.length * healthState.options.length).toBe(6);
    // The kinds a RegistryError declares, plus `internal` for anything else.
    expect(Object.keys(STATUS_BY_KIND).length + 1).toBe(6);
    expect(section).toContain(
      'at most 29 custom metrics (12\nwithout dimensions, 2 of them only with the DNS sync; 3 probe outcomes, 2 guard kinds, up to 6 status × health, up to\n6 error kinds, each only in a month one is answered) at $0.30 each, **$8.70 a month**',
    );
  });

  it('states the EMF size of a prober round: at most 12 lines, about 3.3 KB', () => {
    const saved = { ...process.env };
    const write = process.stdout.write;
    const out: string[] = [];
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      delete process.env.POWERTOOLS_METRICS_DISABLED;
      delete process.env.POWERTOOLS_DEV;
      const telemetry = new PowertoolsTelemetry(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'service-registry' }));
      reportRound(telemetry, {
        services: 1000,
        instances: 10_000,
        targets: 10_000,
        failedTargets: 10,
        deferredTargets: 0,
        transitions: 3,
        expiredMarked: 0,
        expired: 1,
        removedCritical: 1,
        writes: 12,
        protection: {
          engaged: false,
          probeEngaged: false,
          leaseEngaged: false,
          failedTargets: 10,
          probedTargets: 10_000,
          expiredLeases: 0,
          leasedInstances: 0,
          atMs: 0,
        },
        protectionChanged: false,
        durationMs: 1234,
        byState: instanceStatus.options.flatMap((status) => healthState.options.map((health) => ({ status, health, count: 1000 }))),
      });
    } finally {
      process.stdout.write = write;
      process.env = saved;
    }
    const lines = out.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(12);
    expect(Buffer.byteLength(lines.join('\n'))).toBeLessThan(3400);
    expect(section).toContain('at most 12 lines, about 3.3 KB');
  });
});
