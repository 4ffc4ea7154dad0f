/**
 * The packed packages as npm would publish them pass publint (package.json fields, `exports`, files; warnings count
 * as errors) and Are the Types Wrong (types resolve to the right ESM or CommonJS declarations under node10, node16
 * from CJS and from ESM, and bundler resolution: attw's default, strictest profile). Both read the tarballs that
 * `npm test` packs into `.packs/`, so they check exactly what would be published, without packing again.
 */
import { run, repoRoot, tarball } from './support.js';

/** The workspace packages to lint: add a package here to lint it too. */
// @service-registry/cdk is CommonJS only (what cdk init apps are); attw's default profile still applies: ESM importers get
// its named exports through Node's CommonJS interop, which attw checks under node16 (from ESM).
const PACKAGES = ['@service-registry/contracts', '@service-registry/client', '@service-registry/cdk'];

describe.each(PACKAGES)('%s', (name) => {
  it('passes publint, warnings included', async () => {
    const result = await run('npx', ['--no-install', 'publint', 'run', tarball(name), '--strict'], { cwd: repoRoot, timeoutMs: 60_000 });
    expect({ code: result.code, output: result.stdout + result.stderr }).toEqual({ code: 0, output: expect.stringContaining('All good!') });
  }, 90_000); // npx plus a tarball read on two busy cores: seconds, and Jest's 30 s default is too close

  it('passes Are the Types Wrong for every resolution mode', async () => {
    const result = await run('npx', ['--no-install', 'attw', tarball(name), '--format', 'json'], { cwd: repoRoot, timeoutMs: 60_000 });
    const report = JSON.parse(result.stdout) as { analysis: { entrypoints: Record<string, unknown>; problems: unknown[] } };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints)).toContain('.');
    expect(result.code).toBe(0);
  }, 90_000);
});
