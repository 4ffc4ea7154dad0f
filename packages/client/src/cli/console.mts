/**
 * `service-registry console`: the web console for a registry that does not serve it — an AWS deployment, whose API
 * takes SigV4 — from a server on this machine. It listens on 127.0.0.1 only, serves the console's built files
 * (shipped in this package under `console/`), and carries out the page's API calls itself, through the SDK's
 * {@link RegistryClient}: signed with SigV4 from the operator's AWS credentials (or with `--token`), so no
 * credential ever reaches the browser and the registry needs no CORS and no Cognito.
 *
 * Only the calls the console makes are carried out (list services, discovery, get, drain/undrain, deregister,
 * history):
 * each is parsed and made with the SDK's method for it, so this is no open proxy — nothing else, no other host, no
 * other path reaches the registry. Requests whose `Host` or `Origin` is not this server's loopback address are
 * refused (DNS rebinding: a page on another site whose name resolves to 127.0.0.1 would send its own name). A bearer
 * token the page may send (its token form) is ignored: the server's credentials are the only ones used. Like any
 * loopback server it answers every process of this machine while it runs, with the operator's rights: it is meant
 * for the operator's own workstation.
 *
 * AWS has no `/v1/events`: this server answers it itself, as Server-Sent Events made by polling discovery with
 * `If-None-Match` every couple of seconds ({@link DiscoveryPoller}, which lists what that approximates), so the
 * console runs unchanged. A reconnecting page gets `event: resync` (nothing is replayed) and reloads.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { DiscoverQuery } from '../client.js';
import { CONSOLE_FILES, consoleAssets, sendConsoleAsset, type ConsoleAsset, type ConsoleFile } from '../console-site.js';
import { RegistryApiError, RegistryDependencyError, RegistryResponseError, RegistryUnavailableError, RegistryValidationError } from '../errors.js';
import { DiscoveryPoller } from './poll-feed.mjs';
import { EXIT, globals, targetFrom, type Io, type Target } from './shared.mjs';
import { integer } from './instances.mjs';

/**
 * Where the console's built files are: in the installed package, `console/` beside `dist/` (the package's
 * `prepack` copies them there from `console/dist/`); run from the sources in this repository, the build of
 * `npm run build:console`.
 */
export function consoleAssetsDir(): string | undefined {
  // From src/cli/ in the repository, the repository's build first (packages/client/console/ may be an older copy);
  // from dist/esm/cli/ of the package, its own copy.
  const candidates = ['../../../../console/dist/', '../../../console/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}index.html`) && existsSync(`${dir}app.js`));
}

async function loadAssets(dir: string): Promise<Map<string, ConsoleAsset>> {
  const bodies = await Promise.all(CONSOLE_FILES.map((name) => readFile(`${dir}${name}`)));
  return consoleAssets(Object.fromEntries(CONSOLE_FILES.map((name, i) => [name, bodies[i]!])) as Record<ConsoleFile, Buffer>);
}

export interface ConsoleServerOptions {
  /** The registry and the credentials to call it with. */
  readonly target: Target;
  /** Port on 127.0.0.1. @default 0 - a free one */
  readonly port?: number;
  /** Discovery polls of the synthesised event feed. @default 2000 */
  readonly pollIntervalMs?: number;
  /** The console's built files. @default - {@link consoleAssetsDir} */
  readonly assetsDir?: string;
}

export interface ConsoleServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the console server.
 *
 * @example
 * const server = await startConsoleServer({ target: targetFrom({ url: 'https://abc.execute-api.eu-west-1.amazonaws.com' }) });
 * console.log(`open ${server.url}/`);
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const dir = options.assetsDir ?? consoleAssetsDir();
  if (!dir) throw new Error('the console is not built: in the repository run `npm run build:console` (an installed package ships it)');
  const assets = await loadAssets(dir);
  const client = options.target.client;
  const feeds = new Set<() => Promise<void>>();
  let seq = Date.now() * 1000;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => sendError(res, error));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const port = (server.address() as AddressInfo).port;
    const own = [`127.0.0.1:${port}`, `localhost:${port}`];
    const host = String(req.headers.host ?? '').toLowerCase();
    const origin = req.headers.origin;
    if (!own.includes(host))
      return reply(res, 403, { error: { code: 'FORBIDDEN_HOST', message: `Host '${host.slice(0, 100)}' is not this console server (${own[0]})` } });
    if (origin !== undefined && !own.some((o) => origin.toLowerCase() === `http://${o}`)) {
      return reply(res, 403, { error: { code: 'FORBIDDEN_ORIGIN', message: `Origin '${origin.slice(0, 100)}' may not use this console server` } });
    }
    const url = new URL(req.url ?? '/', `http://${own[0]}`);
    const asset = assets.get(url.pathname);
    if (asset && (req.method === 'GET' || req.method === 'HEAD')) return sendConsoleAsset(req, res, asset);
    if (url.pathname === '/v1/events' && req.method === 'GET') return events(req, res, url);
    return api(req, res, url);
  }

  /** The API calls the console makes, each with its SDK method. */
  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/v1/services' && method === 'GET') return reply(res, 200, { services: await client.listServices() });
    const instances = /^\/v1\/services\/([^/]+)\/instances$/.exec(path);
    if (instances && method === 'GET') {
      const service = decodeURIComponent(instances[1]!);
      const page = await client.discover(service, discoveryQuery(url), header(req, 'if-none-match'));
      const headers = { etag: page.etag, 'cache-control': 'no-cache' };
      if (page.notModified) return reply(res, 304, undefined, headers);
      const { notModified: _, etag: __, ...body } = page;
      return reply(res, 200, { service, ...body }, headers);
    }
    const history = /^\/v1\/services\/([^/]+)\/history$/.exec(path);
    if (history && method === 'GET') {
      const q = url.searchParams;
      const option = (name: string) => (q.get(name) === null ? {} : { [name]: q.get(name)! });
      const limit = q.get('limit');
      return reply(
        res,
        200,
        await client.history(decodeURIComponent(history[1]!), {
          ...option('instanceId'),
          ...option('since'),
          ...option('cursor'),
          ...(limit !== null && { limit: Number(limit) }),
        }),
      );
    }
    const instance = /^\/v1\/services\/([^/]+)\/instances\/([^/]+)$/.exec(path);
    if (instance) {
      const [service, id] = [decodeURIComponent(instance[1]!), decodeURIComponent(instance[2]!)];
      if (method === 'GET') return reply(res, 200, await client.get(service, id));
      if (method === 'PATCH') return reply(res, 200, await client.patch(service, id, (await jsonBody(req)) as never));
      if (method === 'DELETE') {
        await client.deregister(service, id);
        return reply(res, 204, undefined);
      }
    }
    return reply(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: `${method} ${path.slice(0, 200)} is not a call the console server makes` } });
  }

  /** `GET /v1/events`, made by polling discovery (see the module comment). */
  async function events(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const services = url.searchParams.getAll('service');
    let first = true;
    let refused: Error | undefined;
    let ready!: () => void;
    const firstPoll = new Promise<void>((resolve) => (ready = resolve));
    const poller = new DiscoveryPoller({
      client,
      ...(services.length > 0 && { services }),
      intervalMs: options.pollIntervalMs ?? 2000,
      onEvent: (event) => void res.write(`id: ${++seq}\nevent: ${event['detail-type']}\ndata: ${JSON.stringify(event)}\n\n`),
      onError: (error) => {
        if (first) refused = error;
        else res.write(`: poll failed: ${error.message.replace(/\s+/g, ' ')}\n\n`);
      },
      onPoll: () => {
        first = false;
        ready();
      },
    });
    poller.start();
    const stop = () => poller.stop();
    feeds.add(stop);
    req.on('close', () => {
      feeds.delete(stop);
      void stop();
    });
    // The first poll decides the answer: a refusal (401/403, an unknown service) is the page's error to show.
    await firstPoll;
    if (refused) {
      feeds.delete(stop);
      await stop();
      return sendError(res, refused);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    // Nothing is buffered to replay from: a page that reconnects reloads from discovery.
    if (req.headers['last-event-id'] !== undefined) res.write(`event: resync\ndata: ${JSON.stringify({ reason: 'the console server replays nothing' })}\n\n`);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => clearInterval(keepAlive));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await Promise.all([...feeds].map((stop) => stop()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Discovery's query as the page sent it, for the SDK (which signs it as API Gateway reads it). */
function discoveryQuery(url: URL): DiscoverQuery {
  const q = url.searchParams;
  const meta: Record<string, string> = {};
  for (const [key, value] of q) if (key.startsWith('meta.')) meta[key.slice(5)] = value;
  const status = q.get('status');
  const limit = q.get('limit');
  return {
    ...(status !== null && { status: status as NonNullable<DiscoverQuery['status']> }),
    ...(q.get('zone') !== null && { zone: q.get('zone')! }),
    ...(q.getAll('tag').length > 0 && { tags: q.getAll('tag') }),
    ...(Object.keys(meta).length > 0 && { meta }),
    ...(limit !== null && { limit: Number(limit) }),
    ...(q.get('cursor') !== null && { cursor: q.get('cursor')! }),
  };
}

const MAX_BODY = 64 * 1024;

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RegistryApiError(413, 'PAYLOAD_TOO_LARGE', `bodies are at most ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new RegistryApiError(400, 'INVALID_JSON', 'the body is not JSON');
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...(body !== undefined && { 'content-type': 'application/json' }), 'x-content-type-options': 'nosniff', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** The registry's answer passed on as the API's own error shape; our own failures as a 502 or 500 with the reason. */
function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return void res.end();
  const e = error as Error;
  if (error instanceof RegistryApiError)
    return void reply(res, error.status, { error: { code: error.code, message: error.message, ...(error.details && { details: error.details }) } });
  if (error instanceof RegistryValidationError)
    return void reply(res, 400, { error: { code: 'VALIDATION_FAILED', message: e.message, details: [{ field: `path.${error.field}`, message: e.message }] } });
  if (error instanceof RegistryUnavailableError || error instanceof RegistryResponseError)
    return void reply(res, 502, { error: { code: 'REGISTRY_UNREACHABLE', message: e.message } });
  // This server runs on the operator's machine for the operator: its own failures (credentials missing, say) are
  // theirs to read.
  const code = error instanceof RegistryDependencyError ? 'DEPENDENCY_MISSING' : 'CONSOLE_SERVER_ERROR';
  reply(res, 500, { error: { code, message: e.message } });
}

/** Adds `console` to `program`. */
export function addConsoleCommand(program: Command, io: Io): void {
  program
    .command('console')
    .description('serve the web console on 127.0.0.1, calling the registry with your credentials (for AWS)')
    .option('--port <port>', 'port on 127.0.0.1 (0: a free one)', integer('the port', 0, 65_535), 0)
    .addHelpText(
      'after',
      "\nThe page's API calls are made by this server, signed with SigV4 from your AWS credentials (--profile,\n" +
        '--region; the region comes from an execute-api URL) or with --token: nothing reaches the browser. Only\n' +
        "the console's own calls are made, and only for pages on 127.0.0.1 or localhost. The live change feed\n" +
        'polls discovery every ~2 s (AWS has no /v1/events): changes between two polls show as one, and the\n' +
        'protection banner comes from discovery, not from events.',
    )
    .action(async (options: { port: number }, command: Command) => {
      const global = globals(command);
      const target = targetFrom(global);
      const server = await startConsoleServer({ target, port: options.port });
      const auth = target.auth === 'sigv4' ? `signed with SigV4 (${target.region})` : target.auth === 'token' ? 'with a bearer token' : 'without credentials';
      io.out(
        global.json
          ? JSON.stringify({ url: `${server.url}/`, registry: target.client.baseUrl, auth: target.auth })
          : `console on ${server.url}/ → ${target.client.baseUrl}, ${auth} (Ctrl-C to stop)`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().finally(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.exitCode = EXIT.ok;
    });
}
