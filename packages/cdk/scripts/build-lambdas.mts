/**
 * Prebuilds the registry's Lambda code into the package: every handler module in `lambdas/handlers/` becomes
 * `packages/cdk/lambda/<handler>/index.mjs` (+ `index.mjs.map`), which the construct loads with `Code.fromAsset`.
 * Built once, when the package is built (`build`, `prepack`) and before the root app's `cdk synth` (cdk.json), so
 * no consumer's synth runs esbuild or Docker, and a consumer's unit test only hashes a few files.
 *
 * The options are those the construct used with `NodejsFunction` before (its `bundling` props plus the defaults
 * CDK adds): ESM `index.mjs`, `node22`, minified, linked source maps, `module` before `main`, a `require` for
 * dependencies that still call it, and `@aws-sdk/*` left to the runtime (nodejs22.x ships the SDK v3; CDK's default
 * externals for it without `@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages`). The code is architecture-free
 * JavaScript, so the same bundle serves the arm64 functions. One deliberate difference: the source maps carry no
 * `sourcesContent`. The functions run with `--enable-source-maps` for stack traces in TypeScript terms, which need
 * only the mappings; the sources themselves (middy, Powertools, zod, ours) would make the maps 3.5 times larger,
 * in the tarball (11 MB instead of 4 MB unpacked), in every consumer's cdk.out and in each function's package.
 *
 * `@service-registry/contracts` is pinned to its sources with an alias: esbuild would otherwise pick it through the
 * root tsconfig's `paths` (sources) or through the workspace link (the package's `dist/`, present only once built),
 * depending on which it finds first. The metafile check below fails the build if anything but the AWS SDK and Node
 * built-ins is left outside a bundle.
 *
 * Run: `node --import tsx packages/cdk/scripts/build-lambdas.mts` (or `npm run build -w @service-registry/cdk`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '../..');
/** The handler modules: one function each (route handlers, prober, publisher). */
export const handlersDir = join(repoRoot, 'lambdas', 'handlers');
/** Where the package ships them, one directory per handler. */
export const lambdaDir = join(packageDir, 'lambda');

/** The esbuild options of one handler bundle (shared with `npm run bundle-sizes`). */
export function handlerBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    alias: { '@service-registry/contracts': join(repoRoot, 'packages', 'contracts', 'src', 'index.ts') },
    // Some dependencies still call require(); give ESM bundles one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  };
}

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The file beside the bundles that carries the licence notices of the third-party code they inline. */
export const THIRD_PARTY_NOTICES = 'THIRD_PARTY_LICENSES.txt';

/**
 * The bundles inline middy, Powertools, zod, ipaddr.js and others; their licences (MIT, Apache-2.0, …) require the
 * notices to travel with the code, which minification strips. Lists every package a bundle took code from (from the
 * esbuild metafiles), with its version and licence text.
 */
async function writeThirdPartyNotices(inputs: Iterable<string>): Promise<void> {
  const packages = new Map<string, string>();
  for (const input of inputs) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    // Metafile paths are relative to esbuild's working directory, the process's (no absWorkingDir is set).
    if (match) packages.set(match[1]!, resolve(process.cwd(), input.slice(0, match.index + match[0].length)));
  }
  const sections = [...packages]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, dir]) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string; license?: string };
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      const text = file && existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${manifest.license ?? 'see the package'}`;
      return `${name}@${manifest.version ?? '?'} (${manifest.license ?? 'unknown'})\n\n${text}`;
    });
  await writeFile(
    join(lambdaDir, THIRD_PARTY_NOTICES),
    `Third-party code inlined in the Lambda bundles of this directory.\n\n${sections.join(`\n\n${'-'.repeat(78)}\n\n`)}\n`,
  );
}

/** Bundles every handler into `lambda/<handler>/`; returns each bundle's size in bytes. */
export async function buildLambdas(): Promise<Array<{ handler: string; bytes: number }>> {
  await rm(lambdaDir, { recursive: true, force: true });
  const handlers = readdirSync(handlersDir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const inputs = new Set<string>();
  const built = await Promise.all(
    handlers.map(async (file) => {
      const handler = basename(file, '.ts');
      const outfile = join(lambdaDir, handler, 'index.mjs');
      await mkdir(dirname(outfile), { recursive: true });
      const result = await build(handlerBuildOptions(join(handlersDir, file), outfile));
      for (const input of Object.keys(result.metafile!.inputs)) inputs.add(input);
      const left = Object.values(result.metafile!.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
      const unexpected = left.filter((path) => !path.startsWith('@aws-sdk/') && !builtins.has(path));
      if (unexpected.length > 0) throw new Error(`${handler}: imports left outside the bundle: ${[...new Set(unexpected)].join(', ')}`);
      return { handler, bytes: (await stat(outfile)).size };
    }),
  );
  await writeThirdPartyNotices(inputs);
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildLambdas();
  console.error(`@service-registry/cdk: ${built.length} handlers prebuilt into ${lambdaDir}`);
}
