/** The construct's CloudWatch dashboard: there by default, gone with `dashboard: false`, showing every declared metric. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { ServiceRegistry, type ServiceRegistryProps } from '@service-registry/cdk';
import { cloudWatchMetrics, METRICS_NAMESPACE } from '../../../lambdas/metrics.js';

function synth(props: ServiceRegistryProps | ((stack: Stack) => ServiceRegistryProps) = {}, subscribers: string[] = []): Template {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const registry = new ServiceRegistry(stack, 'Registry', typeof props === 'function' ? props(stack) : props);
  for (const id of subscribers) registry.addSubscriber(id);
  return Template.fromStack(stack);
}

/** The dashboard body as text, its CloudFormation tokens (function names, queue names, the API id) rendered as JSON. */
function body(template: Template): string {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown } }>;
  return JSON.stringify(dashboard!.Properties.DashboardBody);
}

describe('ServiceRegistry dashboard', () => {
  it('creates one dashboard by default', () => {
    // GIVEN / WHEN
    const template = synth();
    // THEN
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: Match.anyValue() });
  });

  it('creates none with dashboard: false', () => {
    synth({ dashboard: false }).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  it('shows every metric the functions send to CloudWatch, by the names declared in lambdas/metrics.ts', () => {
    const text = body(synth());
    expect(text).toContain(`\\"${METRICS_NAMESPACE}\\"`);
    for (const name of cloudWatchMetrics()) expect([name, text.includes(`\\"${name}\\"`)]).toEqual([name, true]);
  });

  it('shows API 4xx, 5xx, latency p50/p99, the publisher iterator age, throttles and the prober duration and errors', () => {
    const text = body(synth());
    for (const fragment of [
      '\\"4xx\\"',
      '\\"5xx\\"',
      '\\"Latency\\"',
      '\\"p50\\"',
      '\\"p99\\"',
      '\\"IteratorAge\\"',
      '\\"Throttles\\"',
      '\\"ThrottledRequests\\"',
      '\\"Duration\\"',
      '\\"Errors\\"',
    ]) {
      expect([fragment, text.includes(fragment)]).toEqual([fragment, true]);
    }
  });

  it('adds up the instance totals every prober shard reports', () => {
    expect(body(synth())).toContain('1 * s0 / n0');
    expect(body(synth({ proberShards: 3 }))).toContain('3 * s5 / n5');
  });

  it('adds the depth of each subscriber dead-letter queue', () => {
    const without = body(synth());
    expect(without).not.toContain('ApproximateNumberOfMessagesVisible');
    const text = body(synth({}, ['Gateway', 'Billing']));
    expect(text.match(/ApproximateNumberOfMessagesVisible/g)).toHaveLength(2);
    expect(text).toContain('Gateway subscriber');
    expect(text).toContain('Billing subscriber');
  });

  it("adds the DNS sync's dead-letter queue when `dns` is given", () => {
    const text = body(
      synth((stack) => {
        const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
        return { vpc, dns: { vpc, domain: 'registry.internal' } };
      }),
    );
    expect(text.match(/ApproximateNumberOfMessagesVisible/g)).toHaveLength(1);
    expect(text).toContain('DNS sync');
  });
});
