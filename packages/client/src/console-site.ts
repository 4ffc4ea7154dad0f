/**
 * The web console's static files as both of its servers send them: the local runtime (`local/console.ts`, at `/`)
 * and `service-registry console` (the CLI's server for an AWS deployment). One declaration of the paths, content
 * types, caching and security headers, so the page is served the same way wherever it runs. Internal to the
 * package (not exported from its index).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/** The files the console is made of, by their name in its build directory (`console/dist/`). */
export const CONSOLE_FILES = ['index.html', 'app.js', 'app.css'] as const;
export type ConsoleFile = (typeof CONSOLE_FILES)[number];

const CONTENT_TYPES: Record<ConsoleFile, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The URL path of each file: the page at the root, its assets under `/console/`. */
export const CONSOLE_PATHS: ReadonlyMap<string, ConsoleFile> = new Map([
  ['/', 'index.html'],
  ['/console/app.js', 'app.js'],
  ['/console/app.css', 'app.css'],
]);

/**
 * Only the console's own script and stylesheet run, and the page talks only to this origin: no inline script or
 * style (a stored value such as an instance's metadata can never become code), no framing (clickjacking of the
 * drain and deregister buttons), no forms posting elsewhere, no base-URL tricks. The favicon is an empty `data:`
 * URL so the browser does not ask the API for `/favicon.ico`.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** One file ready to send: its body, gzipped once, and its ETag. */
export interface ConsoleAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

/**
 * The console's files as assets, by URL path.
 *
 * @example
 * const assets = consoleAssets({ 'index.html': html, 'app.js': js, 'app.css': css });
 * assets.get('/console/app.js')?.etag;
 */
export function consoleAssets(files: Record<ConsoleFile, Buffer>): Map<string, ConsoleAsset> {
  return new Map(
    [...CONSOLE_PATHS].map(([path, name]) => {
      const body = files[name];
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      return [path, { type: CONTENT_TYPES[name], body, gzip: gzipSync(body, { level: 9 }), etag }];
    }),
  );
}

/**
 * Sends an asset: gzipped when the browser accepts it, 304 for a matching `If-None-Match`, body left out for `HEAD`.
 * The asset URLs carry no content hash, so every use revalidates (`no-cache`); the ETag makes that a 304.
 */
export function sendConsoleAsset(req: IncomingMessage, res: ServerResponse, asset: ConsoleAsset): void {
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': 'no-cache',
    etag: asset.etag,
    vary: 'accept-encoding',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip : asset.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
}
