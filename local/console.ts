/**
 * The web console's static site, served by the local runtime at `/` (the page) and `/console/app.js`,
 * `/console/app.css` (its only assets). The console is a Preact app in `console/`, bundled by esbuild into those
 * three files: `npm run build:console` writes them to `console/dist/`; without an up-to-date build there, the
 * runtime bundles them in memory on the first request for the console, so `npm start` on a fresh clone serves it
 * with no extra step and a runtime that is never asked for it never pays for a build.
 *
 * The page reads and changes the registry through the same public API as any client (`fetch` to `/v1/…`); the
 * site itself holds no data and needs no token, so it is served without authorization in every mode.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_FILES, CONSOLE_PATHS, consoleAssets, sendConsoleAsset, type ConsoleAsset, type ConsoleFile } from '../packages/client/src/console-site.js';

/** The console's directory (sources in `src/`, the page in `index.html`, the build in `dist/`). */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

// The files, their paths, headers and sending are shared with the CLI's console server (one declaration).
export { CONSOLE_FILES, CONTENT_SECURITY_POLICY, type ConsoleFile } from '../packages/client/src/console-site.js';

/**
 * Bundles the console with esbuild, in memory: one JS file (Preact included, minified) and one CSS file, plus the
 * page. `console/build.mts` writes the result to `console/dist/`; the runtime serves it directly.
 *
 * @example
 * const files = await buildConsole();
 * files['app.js'].length; // bytes of the minified bundle
 */
export async function buildConsole(dir: string = CONSOLE_DIR): Promise<Record<ConsoleFile, Buffer>> {
  // Loaded only when a build is needed: esbuild is a development dependency and starts a helper process.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { app: join(dir, 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: join(dir, 'dist'),
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const output = (name: string) => {
    const file = result.outputFiles.find((f) => f.path === join(dir, 'dist', name));
    if (!file) throw new Error(`esbuild produced no ${name}`);
    return Buffer.from(file.contents);
  };
  return { 'index.html': await readFile(join(dir, 'index.html')), 'app.js': output('app.js'), 'app.css': output('app.css') };
}

/** Newest modification time of the console's sources (what a build in `dist/` must be at least as new as). */
async function newestSource(dir: string): Promise<number | undefined> {
  try {
    const src = join(dir, 'src');
    const files = [join(dir, 'index.html'), ...(await readdir(src)).map((name) => join(src, name))];
    return Math.max(...(await Promise.all(files.map(async (file) => (await stat(file)).mtimeMs))));
  } catch {
    return undefined; // no sources: only a build can be served
  }
}

/** The files of `dist/` when all are there and no source is newer than the oldest of them; else undefined. */
async function readBuild(dir: string): Promise<Record<ConsoleFile, Buffer> | undefined> {
  try {
    const files = CONSOLE_FILES.map((name) => join(dir, 'dist', name));
    const built = Math.min(...(await Promise.all(files.map(async (file) => (await stat(file)).mtimeMs))));
    const source = await newestSource(dir);
    if (source !== undefined && source > built) return undefined; // stale: edited since `npm run build:console`
    const bodies = await Promise.all(files.map((file) => readFile(file)));
    return Object.fromEntries(CONSOLE_FILES.map((name, i) => [name, bodies[i]!])) as Record<ConsoleFile, Buffer>;
  } catch {
    return undefined;
  }
}

async function loadAssets(dir: string): Promise<Map<string, ConsoleAsset>> {
  return consoleAssets((await readBuild(dir)) ?? (await buildConsole(dir)));
}

/** The console site of one runtime. */
export interface ConsoleSite {
  /**
   * Serves the request when it is for the console (`GET`/`HEAD` of `/` or one of its assets) and returns true;
   * returns false for anything else, which the API then routes as usual.
   */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
}

/**
 * @example
 * const site = createConsoleSite();
 * createApiGateway({ ..., local: (req, res, url) => site.serve(req, res, url) || events(req, res, url) });
 */
export function createConsoleSite(dir: string = CONSOLE_DIR): ConsoleSite {
  let assets: Promise<Map<string, ConsoleAsset>> | undefined;
  return {
    serve(req, res, url) {
      if (!CONSOLE_PATHS.has(url.pathname) || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      assets ??= loadAssets(dir);
      assets.then(
        (loaded) => sendConsoleAsset(req, res, loaded.get(url.pathname)!),
        (error: unknown) => {
          // A console that does not build must not take the registry down: the API keeps working, the page says why.
          assets = undefined; // the next request tries again (after the source is fixed)
          res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
          res.end(`the console could not be built: ${(error as Error).message}\n`);
        },
      );
      return true;
    },
  };
}
