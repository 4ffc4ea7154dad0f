/**
 * Builds `@service-registry/cdk` (`npm run build -w @service-registry/cdk`; `prepack` runs it too):
 *
 * 1. `lambda/<handler>/index.mjs`: the prebuilt Lambda code (build-lambdas.mts).
 * 2. `dist/index.js`: the construct as ONE CommonJS bundle (esbuild). Why a bundle and not tsc's file-per-module
 *    output: the construct reads contracts that live in the app's `lambdas/` (the route table `lambdas/routes.ts`,
 *    the table definition `lambdas/table.ts`, the stream filter `lambdas/stream-filter.ts`), which are the one
 *    source of truth for the handlers and the local runtime as well and stay where they are. A package cannot
 *    reach outside itself, so the bundle inlines those modules; everything the package declares as a dependency or
 *    peer (aws-cdk-lib, constructs, @service-registry/contracts, zod, ipaddr.js) stays external, so the consumer's
 *    single aws-cdk-lib and constructs are the ones the construct uses (`instanceof`, `Construct.isConstruct` and
 *    token resolution need that). CommonJS because `cdk init app --language typescript` generates a CommonJS app;
 *    Node's ESM loader reads the bundle's named exports too (esbuild annotates them for cjs-module-lexer).
 *    `import.meta.url` (the sources are ESM) becomes the bundle's own file URL, so `../lambda/` resolves from
 *    `dist/` as it does from `src/`.
 * 3. `dist/*.d.ts`: declarations from `tsc --emitDeclarationOnly` under the strict package settings
 *    (tsconfig.build.json), copied from the construct's own files only; the build fails if a declaration imports
 *    anything outside `dist/` but a declared dependency or peer, or Node's types.
 */
import { copyFile, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildLambdas } from './build-lambdas.mjs';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '../..');
const dist = join(packageDir, 'dist');
const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const declared = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
const isDeclared = (path: string) => declared.some((name) => path === name || path.startsWith(`${name}/`));
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
/** The only modules outside the construct it may inline: the shared contracts named above, the registry's defaults
 * (packages/contracts/src/defaults.ts, no imports) that the construct states on the prober and the reads alike, the
 * write kinds the stream filter is built from (lambdas/domain/writes.ts, no imports), and the connectors' wire schemas the route table names for OpenAPI (zod and the contracts only). */
const sharedContracts = new Set([
  'lambdas/routes.ts',
  'lambdas/table.ts',
  'lambdas/stream-filter.ts',
  'lambdas/domain/writes.ts',
  'lambdas/domain/errors.ts',
  'packages/contracts/src/defaults.ts',
  'lambdas/connectors/prometheus.ts',
  'lambdas/connectors/eureka-routes.ts',
  'lambdas/metrics.ts',
]);

await rm(dist, { recursive: true, force: true });
const lambdas = await buildLambdas();

// 2. The construct.
const result = await build({
  entryPoints: [join(packageDir, 'src', 'index.ts')],
  outfile: join(dist, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: declared.flatMap((name) => [name, `${name}/*`]),
  define: { 'import.meta.url': '__importMetaUrl' },
  // The directive first: anything before it would turn it into a plain string and the bundle sloppy.
  banner: { js: "'use strict';\nconst __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Named by the build from the package root, not the absolute path of the machine that built it.
  absWorkingDir: repoRoot,
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs);
const foreign = inputs.filter((path) => !path.startsWith('packages/cdk/src/') && !sharedContracts.has(path));
if (foreign.length > 0) throw new Error(`dist/index.js inlines modules outside the construct and the shared contracts: ${foreign.join(', ')}`);
const externals = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
const undeclared = [...new Set(externals.filter((path) => !isDeclared(path) && !builtins.has(path)))];
if (undeclared.length > 0) throw new Error(`dist/index.js requires packages package.json does not declare: ${undeclared.join(', ')}`);

// 3. Declarations: tsc writes them under build/types mirroring the repository (rootDir is the root, since the
// program includes lambdas/); only the construct's own go to dist.
const typesOut = join(packageDir, 'build', 'types');
await rm(typesOut, { recursive: true, force: true });
execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(packageDir, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
const ownTypes = join(typesOut, 'packages', 'cdk', 'src');
// Ship what index.d.ts reaches; every import must stay inside dist/ or name a declared dependency or peer.
const emitted: string[] = [];
for (const queue = ['index.d.ts']; queue.length > 0; ) {
  const file = queue.shift()!;
  if (emitted.includes(file)) continue;
  emitted.push(file);
  const code = (await readFile(join(ownTypes, file), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const [, path] of code.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)) {
    if (path!.startsWith('./') && !path!.includes('/', 2)) queue.push(path!.replace(/\.js$/, '.d.ts').slice(2));
    else if (!isDeclared(path!) && !builtins.has(path!)) throw new Error(`dist/${file} refers to '${path}', which a consumer does not have`);
  }
}
for (const file of emitted) await copyFile(join(ownTypes, file), join(dist, file));
await rm(join(packageDir, 'build'), { recursive: true, force: true });

const bytes = lambdas.reduce((sum, l) => sum + l.bytes, 0);
console.error(
  `@service-registry/cdk: dist/index.js (${inputs.length} modules, ${relative(packageDir, dist)}/*.d.ts: ${emitted.length}), ` +
    `${lambdas.length} handlers in lambda/ (${(bytes / 1024).toFixed(0)} KB of code)`,
);
