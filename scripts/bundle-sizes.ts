/**
 * `npm run bundle-sizes`: bundles every function the way the CDK construct does (esbuild, ESM, minified, node22,
 * the AWS SDK left to the runtime) and prints each bundle's size against the 250 KB goal.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const dir = join(import.meta.dirname, '..', 'lambdas', 'handlers');
const GOAL = 250 * 1024;
console.log('| function | minified bundle |');
console.log('|---|---:|');
let over = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
  const result = await build({
    entryPoints: [join(dir, file)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    outfile: 'index.mjs',
  });
  const size = result.outputFiles[0]!.contents.length;
  if (size > GOAL) over++;
  console.log(`| ${file.replace('.ts', '')} | ${(size / 1024).toFixed(1)} KB${size > GOAL ? ' (over goal)' : ''} |`);
}
console.log(over === 0 ? 'every bundle is within the 250 KB goal' : `${over} bundle(s) over the 250 KB goal`);
