/**
 * The Lambda code the cdk package ships runs as Lambda would run it: each prebuilt `lambda/<handler>/index.mjs`
 * loads in a plain Node process (no tsx, no source tree, the AWS SDK from node_modules as the runtime provides it)
 * and exports a `handler` function; the health function answers an API Gateway v2 event. Asset paths alone (checked
 * in service-registry.test.ts) would not catch a bundle that fails at import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routes } from '../../../lambdas/routes.js';
import { repoRoot, run } from '../support.js';

const lambdaDir = join(repoRoot, 'packages', 'cdk', 'lambda');
const env = {
  TABLE_NAME: 'registry',
  EVENT_BUS_NAME: 'registry',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  HOSTED_ZONE_ID: 'Z0000000000000',
  REGISTRY_DNS_DOMAIN: 'registry.internal',
};

/** Imports a bundle in a fresh Node process and reports what it exports (and, optionally, one invocation). */
const load = (handler: string, invoke?: object) =>
  run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(join(lambdaDir, handler, 'index.mjs'))});
       const out = { type: typeof m.handler };
       if (${JSON.stringify(invoke ?? null)}) out.result = await m.handler(${JSON.stringify(invoke ?? null)}, { getRemainingTimeInMillis: () => 1000, awsRequestId: 'r', functionName: '${handler}' });
       console.log(JSON.stringify(out));`,
    ],
    { cwd: lambdaDir, env },
  );

const bundles = readdirSync(lambdaDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

it('ships one bundle per handler the construct deploys', () => {
  // Route handlers, plus the functions no route invokes: the prober (schedule), the publisher (stream), the token
  // authorizer (API Gateway), the Route 53 sync (change events, when the `dns` option is on) and the history writer
  // (stream).
  const expected = new Set([...routes.map((r) => r.handler), 'prober', 'publisher', 'token-authorizer', 'dns-sync', 'history']);
  expect(new Set(bundles)).toEqual(expected);
});

it('ships the licence notices of the third-party code the bundles inline', () => {
  const notices = readFileSync(join(lambdaDir, 'THIRD_PARTY_LICENSES.txt'), 'utf8');
  for (const name of ['@middy/core', 'zod', 'ipaddr.js', '@aws-lambda-powertools/logger']) expect(notices).toContain(`${name}@`);
  expect(notices).toContain('Permission is hereby granted'); // an MIT text, not just names
});

it.each(bundles)('loads %s in plain Node and exports a handler function', async (handler) => {
  const ran = await load(handler);
  expect(ran.stderr).toBe('');
  expect(JSON.parse(ran.stdout)).toEqual({ type: 'function' });
});

it('answers an API Gateway v2 event from the prebuilt health function', async () => {
  const event = {
    version: '2.0',
    routeKey: 'GET /v1/health',
    rawPath: '/v1/health',
    rawQueryString: '',
    headers: {},
    requestContext: { http: { method: 'GET', path: '/v1/health' } },
    isBase64Encoded: false,
  };
  const ran = await load('health', event);
  expect(JSON.parse(ran.stdout).result).toMatchObject({ statusCode: 200 });
});
