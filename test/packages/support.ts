/**
 * Helpers of the consumer tests: they use the packages as a new user does, from the tarballs `npm test` packs
 * into `.packs/` before Jest starts (`npm pack --workspaces`, which runs each package's `prepack` build), installed
 * into fresh projects outside this repository, so nothing resolves from our own node_modules.
 *
 * Installs prefer the npm cache that `npm ci` filled (`--prefer-offline`): the tarballs of every dependency the
 * packages and the consumer projects use are already there, so only package metadata may be fetched from the
 * registry.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const packsDir = join(repoRoot, '.packs');

/** Path of the packed tarball of a workspace package, e.g. `@service-registry/client` → `.packs/service-registry-client-0.1.0.tgz`. */
export function tarball(name: string): string {
  const prefix = `${name.replace(/^@/, '').replace('/', '-')}-`;
  const found = existsSync(packsDir)
    ? readdirSync(packsDir).filter((f) => f.startsWith(prefix) && f.endsWith('.tgz') && /^\d/.test(f.slice(prefix.length)))
    : [];
  if (found.length !== 1)
    throw new Error(`expected one tarball of ${name} in ${packsDir} (run the tests with \`npm test\`, which packs them first); found ${found.length}`);
  return join(packsDir, found[0]!);
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, collecting output; never throws on a non-zero exit (the test asserts on `code`). */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A fresh project directory outside the repository with the given files (paths relative to it). */
export async function createProject(name: string, files: Record<string, string>): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `sr-consumer-${name}-`));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * `npm install` in a consumer project, preferring the cache. `specs` are extra install arguments (tarball paths).
 * Returns the run; a test asserts `code === 0` and shows `stderr` when it is not.
 */
export function npmInstall(dir: string, specs: readonly string[] = []): Promise<Ran> {
  return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: dir,
    // The consumer must not find our workspace or its node_modules: npm walks up for a workspace root otherwise.
    env: { npm_config_workspaces: 'false', npm_config_update_notifier: 'false' },
  });
}
