/** The published event contracts: up to date with the code, and never broken relative to the frozen v1. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allContracts, breakingChanges, instanceEventDetail, registerBody } from '@service-registry/contracts';
import { classify } from '../../../lambdas/domain/events.js';
import { draftInstance } from '../../../lambdas/domain/instance.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'contracts', 'events');
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const generated = allContracts();

describe('event contracts', () => {
  it('has a committed schema file, up to date, for every detail-type (run `npm run contracts` after a change)', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files).toEqual(Object.keys(generated).sort());
    for (const [file, schema] of Object.entries(generated)) expect(read(join(dir, file))).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it.each(readdirSync(join(dir, 'v1')))('keeps %s compatible with the frozen v1 contract', (file) => {
    expect(generated[file]).toBeDefined();
    expect(breakingChanges(read(join(dir, 'v1', file)), generated[file] as object)).toEqual([]);
  });

  it('detects a breaking change: a removed field, a field made optional, a changed type', () => {
    const v1 = read(join(dir, 'v1', 'instance-registered.schema.json'));
    const broken = JSON.parse(JSON.stringify(v1));
    const detail = broken.$defs.InstanceEventDetail;
    delete detail.properties.reason;
    detail.required = detail.required.filter((r: string) => r !== 'service');
    detail.properties.revision = { type: 'string' };
    expect(breakingChanges(v1, broken)).toEqual(
      expect.arrayContaining(['$.detail.reason: removed', '$.detail.service: no longer required', '$.detail.revision: type integer became string']),
    );
  });

  it('describes the events the publisher actually builds', () => {
    const instance = {
      ...draftInstance({ service: 's', instanceId: 'i' }, registerBody.parse({ address: '10.0.0.1', port: 80, healthCheck: { type: 'http' } }), 'o', 0),
      revision: 1,
    };
    const event = classify({ kind: 'instance', newImage: instance, write: 'register', byTtl: false, atMs: 0 })!;
    expect(instanceEventDetail.safeParse(event.detail).success).toBe(true);
  });
});
