/** The construct's `fastPublish`: which functions may put events on the bus, and what they are told. */
import { readdirSync, readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ServiceRegistry } from '@service-registry/cdk';
import { FAST_PUBLISH_HANDLERS } from '../../../packages/cdk/src/service-registry.js';

function synth(fastPublish?: boolean) {
  const stack = new Stack(new App(), 'Test');
  const registry = new ServiceRegistry(stack, 'Registry', fastPublish === undefined ? {} : { fastPublish });
  return { stack, registry, template: Template.fromStack(stack) };
}

/** Logical ids of the functions whose role may put events on the registry's bus. */
function putters(template: Template): string[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]) } },
  });
  const roles = Object.values(policies).flatMap((p) => (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref));
  const functions = template.findResources('AWS::Lambda::Function');
  return Object.entries(functions)
    .filter(([, f]) => roles.includes(f.Properties.Role['Fn::GetAtt'][0]))
    .map(([id]) => id)
    .sort();
}

const logicalId = (stack: Stack, registry: ServiceRegistry, handler: string) => stack.getLogicalId(registry.functions[handler]!.node.defaultChild as never);

describe('fastPublish', () => {
  it('is on by default: only the writing functions and the publisher may put events, and they are told the bus', () => {
    // GIVEN a registry with the defaults
    const { stack, registry, template } = synth();
    // THEN exactly the writing functions and the stream publisher hold events:PutEvents
    const expected = [...FAST_PUBLISH_HANDLERS.map((h) => logicalId(stack, registry, h)), stack.getLogicalId(registry.publisher.node.defaultChild as never)];
    expect(putters(template)).toEqual(expected.sort());
    // AND each writing function has the fast path switched on, with the bus and the source
    for (const handler of FAST_PUBLISH_HANDLERS) {
      const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack, registry, handler)]!;
      expect(fn.Properties.Environment.Variables).toMatchObject({
        REGISTRY_FAST_PUBLISH: 'true',
        REGISTRY_EVENT_SOURCE: 'service-registry',
        EVENT_BUS_NAME: expect.anything(),
      });
    }
    // AND a function that writes no change (discover, heartbeat) is not
    for (const handler of ['discover', 'heartbeat', 'heartbeat-many']) {
      const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack, registry, handler)]!;
      expect(fn.Properties.Environment.Variables.REGISTRY_FAST_PUBLISH).toBeUndefined();
    }
  });

  it('off, leaves publishing to the stream publisher alone', () => {
    const { stack, registry, template } = synth(false);
    expect(putters(template)).toEqual([stack.getLogicalId(registry.publisher.node.defaultChild as never)]);
  });

  it('names exactly the handler entries that build their dependencies with writerFromEnv', () => {
    const dir = new URL('../../../lambdas/handlers/', import.meta.url);
    const writers = readdirSync(dir)
      .filter((file) => readFileSync(new URL(file, dir), 'utf8').includes('writerFromEnv()'))
      .map((file) => file.replace(/\.ts$/, ''));
    expect(writers.sort()).toEqual([...FAST_PUBLISH_HANDLERS].sort());
  });
});
