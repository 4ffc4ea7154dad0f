/**
 * `npm run contracts`: writes the change-event JSON Schemas to contracts/events/. With `--freeze-v1` it also
 * (re)writes the frozen baseline contracts/events/v1/ — only when publishing a new major version.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allContracts } from '@service-registry/contracts';

const dir = join(import.meta.dirname, '..', 'contracts', 'events');
const targets = process.argv.includes('--freeze-v1') ? [dir, join(dir, 'v1')] : [dir];
for (const target of targets) {
  mkdirSync(target, { recursive: true });
  for (const [file, schema] of Object.entries(allContracts())) writeFileSync(join(target, file), `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(allContracts()).length} schemas to ${targets.join(' and ')}`);
