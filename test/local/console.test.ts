/**
 * Where the console's files come from (local/console.ts): `console/dist/` when it is built and up to date, else an
 * in-memory esbuild build of the sources (a fresh clone, or sources edited since the last build), and a 503 saying
 * why when the sources do not build. Against tiny consoles in temporary directories, served by a bare HTTP server.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsoleSite } from '../../local/console.js';

let root: string;
const servers: Server[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'console-site-'));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  rmSync(root, { recursive: true, force: true });
});

/** A console directory: its page and sources (no JSX, so no Preact to resolve from a temporary directory). */
function consoleDir(name: string, main: string, dist?: { at: Date; marker: string }): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'src', 'main.tsx'), main);
  writeFileSync(join(dir, 'src', 'app.css'), 'body { color: black }');
  const sourcesAt = new Date(Date.now() - 60_000);
  for (const file of ['index.html', 'src/main.tsx', 'src/app.css']) utimesSync(join(dir, file), sourcesAt, sourcesAt);
  if (dist) {
    mkdirSync(join(dir, 'dist'));
    for (const file of ['index.html', 'app.js', 'app.css']) {
      writeFileSync(join(dir, 'dist', file), `${dist.marker} ${file}`);
      utimesSync(join(dir, 'dist', file), dist.at, dist.at);
    }
  }
  return dir;
}

/** Serves a console directory the way the runtime does; anything else is a 404. */
async function serve(dir: string): Promise<string> {
  const site = createConsoleSite(dir);
  const server = createServer((req, res) => {
    if (!site.serve(req, res, new URL(req.url ?? '/', 'http://local'))) res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const MAIN = "import './app.css';\ndocument.title = 'built in memory';\n";

it('serves the build in dist when no source is newer', async () => {
  const url = await serve(consoleDir('fresh-dist', MAIN, { at: new Date(), marker: 'from dist' }));
  expect(await (await fetch(`${url}/console/app.js`)).text()).toBe('from dist app.js');
  expect(await (await fetch(`${url}/`)).text()).toBe('from dist index.html');
});

it('builds in memory when a source changed after the last build', async () => {
  const url = await serve(consoleDir('stale-dist', MAIN, { at: new Date(Date.now() - 120_000), marker: 'from dist' }));
  const js = await (await fetch(`${url}/console/app.js`)).text();
  expect(js).toContain('built in memory');
  expect(await (await fetch(`${url}/console/app.css`)).text()).toMatch(/body\s*\{\s*color:\s*(black|#000)/);
});

it('builds in memory on a fresh clone, where there is no dist', async () => {
  const url = await serve(consoleDir('no-dist', MAIN));
  const res = await fetch(`${url}/console/app.js`);
  expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(await res.text()).toContain('built in memory');
  expect(await (await fetch(`${url}/`)).text()).toContain('<title>console</title>');
});

it('answers 503 naming the build error when the sources do not build, and only for the console', async () => {
  const url = await serve(consoleDir('broken', 'document.title = ;\n'));
  const res = await fetch(`${url}/console/app.js`);
  expect(res.status).toBe(503);
  expect(await res.text()).toMatch(/^the console could not be built: .*main\.tsx/s);
  expect((await fetch(`${url}/v1/health`)).status).toBe(404); // not the console's: left to the API
});
