/**
 * `npm run bench:init`: the module-scope (init) time of each Lambda bundle. Every function is bundled exactly as
 * `@service-registry/cdk` ships it (`handlerBuildOptions` of packages/cdk/scripts/build-lambdas.mts: esbuild, ESM,
 * minified, source maps, the AWS SDK left out) into a temporary directory — the package's own `lambda/` is left
 * alone — and then imported in fresh `node` processes with the environment the construct gives that function
 * (packages/cdk/src/registry-function.ts and service-registry.ts: `TABLE_NAME`, `NODE_OPTIONS=--enable-source-maps`,
 * the prober's settings, …). The import must need no AWS: a handler module only reads its configuration and builds
 * its clients, which connect on first use.
 *
 * Measured in the child: `performance.now()` around `await import(bundle)` (wall) and `process.cpuUsage()` around it
 * (CPU), the median of BENCH_INIT_RUNS fresh processes (default 5), run one after another. The bundles import the
 * AWS SDK from this repository's node_modules (in Lambda, from the runtime's): its load time is counted, as it is in
 * Lambda's Init Duration. Not counted: Node's own start and the Lambda runtime client (the same for every bundle).
 * Node here may not be Lambda's (nodejs22.x).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { DEFAULTS } from '../packages/contracts/src/defaults.js';
import { handlerBuildOptions, handlersDir } from '../packages/cdk/scripts/build-lambdas.mjs';
import { quantile } from './stats.js';

const RUNS = Number(process.env.BENCH_INIT_RUNS ?? 5);
const repoRoot = resolve(import.meta.dirname, '..');

/**
 * What the construct sets on every function (registry-function.ts), the table and prober settings it binds
 * (service-registry.ts), and what only some read (the bus, the DNS zone); values are placeholders where AWS would
 * put a resource's name. Region and credentials as Lambda provides them (fake: nothing is called). Nothing else of
 * this shell's environment is passed on (an AWS_PROFILE here would change what the SDK reads at import).
 */
const LAMBDA_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'service-registry',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  REGISTRY_ADMIN_PRINCIPALS: '',
  REGISTRY_ALLOW_LOOPBACK: 'false',
  TABLE_NAME: 'service-registry-table',
  REGISTRY_PROBE_SHARDS: String(DEFAULTS.prober.shards),
  REGISTRY_PROBE_INTERVAL_SECONDS: String(DEFAULTS.prober.roundIntervalSeconds),
  REGISTRY_PROTECTION_LEASE_SHARE: String(DEFAULTS.protection.leaseExpiryShare),
  REGISTRY_PROTECTION_MIN_INSTANCES: String(DEFAULTS.protection.minPopulation),
  REGISTRY_PROTECTION_MAX_SECONDS: String(DEFAULTS.protection.maxLeaseProtectionSeconds),
  EVENT_BUS_NAME: 'service-registry-bus',
  REGISTRY_EVENT_SOURCE: 'service-registry',
  HOSTED_ZONE_ID: 'Z0000000000000BENCH',
  REGISTRY_DNS_DOMAIN: 'registry.internal',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Run in the child: the import, timed from inside, as one JSON line. */
const CHILD = `
const url = process.argv[1];
const c0 = process.cpuUsage();
const t0 = performance.now();
await import(url);
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000, sinceStartMs: performance.now() }));
`;

const out = mkdtempSync(join(tmpdir(), 'bench-init-'));
try {
  // The bundles leave `@aws-sdk/*` to the runtime: here, this repository's node_modules, found through a link.
  symlinkSync(join(repoRoot, 'node_modules'), join(out, 'node_modules'), 'dir');
  const handlers = readdirSync(handlersDir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => basename(f, '.ts'));
  for (const handler of handlers) await build(handlerBuildOptions(join(handlersDir, `${handler}.ts`), join(out, handler, 'index.mjs')));
  // A baseline: the SDK modules the table functions load, and nothing else (the part of init a bundle cannot shrink,
  // short of not loading them).
  const baseline = '(baseline) @aws-sdk/client-dynamodb + lib-dynamodb only';
  mkdirSync(join(out, 'sdk-only'));
  writeFileSync(join(out, 'sdk-only', 'index.mjs'), "import '@aws-sdk/client-dynamodb';\nimport '@aws-sdk/lib-dynamodb';\n");

  console.log(
    `bench:init — median of ${RUNS} fresh processes per bundle; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version} (Lambda: nodejs22.x, arm64, 256 MB)`,
  );
  console.log('| function | bundle KB | import ms (median) | import ms (min–max) | import CPU ms (median) | process start → ready ms (median) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [handler, dir] of [...handlers.map((h) => [h, h]), [baseline, 'sdk-only']] as const) {
    const bundle = join(out, dir, 'index.mjs');
    const runs: Array<{ ms: number; cpuMs: number; sinceStartMs: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const child = spawnSync(process.execPath, ['--input-type=module', '--eval', CHILD, pathToFileURL(bundle).href], {
        cwd: join(out, dir),
        env: { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: `registry-${dir}` },
        encoding: 'utf8',
      });
      const line = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !line.startsWith('{')) throw new Error(`${handler}: import failed (exit ${child.status}):\n${child.stderr}`);
      runs.push(JSON.parse(line));
    }
    const ms = runs.map((r) => r.ms);
    const kb = statSync(bundle).size / 1024;
    console.log(
      `| ${handler} | ${kb.toFixed(1)} | ${quantile(ms, 0.5).toFixed(1)} | ${Math.min(...ms).toFixed(1)}–${Math.max(...ms).toFixed(1)} | ` +
        `${quantile(
          runs.map((r) => r.cpuMs),
          0.5,
        ).toFixed(1)} | ${quantile(
          runs.map((r) => r.sinceStartMs),
          0.5,
        ).toFixed(1)} |`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
