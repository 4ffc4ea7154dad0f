/**
 * `npm run bundle-sizes`: prebuilds every function exactly as `@service-registry/cdk` ships it
 * (packages/cdk/scripts/build-lambdas.mts: esbuild, ESM, minified, node22, the AWS SDK left to the runtime) and
 * prints each bundle's size against the 250 KB goal.
 */
import { buildLambdas } from '../packages/cdk/scripts/build-lambdas.mjs';

const GOAL = 250 * 1024;
console.log('| function | minified bundle |');
console.log('|---|---:|');
let over = 0;
for (const { handler, bytes } of await buildLambdas()) {
  if (bytes > GOAL) over++;
  console.log(`| ${handler} | ${(bytes / 1024).toFixed(1)} KB${bytes > GOAL ? ' (over goal)' : ''} |`);
}
console.log(over === 0 ? 'every bundle is within the 250 KB goal' : `${over} bundle(s) over the 250 KB goal`);
