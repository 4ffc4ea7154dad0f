/**
 * A small reverse proxy that routes `/{service}/…` to the service's instances through the SDK: one cache per
 * service (snapshot + change feed + re-check), one balancer per service over it. Idempotent requests that fail
 * (connection error or 5xx) are retried once on another instance; every outcome is reported to outlier ejection;
 * a service with no instance gets a 503 with a clear body.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { InstanceRecord } from '@service-registry/contracts';
import { type ChangeFeed, createBalancer, type CreateBalancerOptions, type ManagedBalancer, type RegistryClient, ServiceCache } from '@service-registry/client';

export interface GatewayOptions {
  readonly client: RegistryClient;
  /** One feed for every service the gateway routes to (events are dispatched by `detail.service`). */
  readonly feed: ChangeFeed;
  readonly balancer?: CreateBalancerOptions;
  /**
   * How long an unexplained empty discovery answer must persist before a route's cache applies it (see
   * `ServiceCacheOptions.confirmEmptyMs`: two prober rounds of the registry plus 10 s).
   * @default 30000 - for the registry's default prober interval (10 s)
   */
  readonly confirmEmptyMs?: number;
  /** Per upstream attempt. @default 5000 */
  readonly timeoutMs?: number;
  /** Told about every upstream attempt (the demo counts them). */
  readonly onAttempt?: (service: string, instance: InstanceRecord, ok: boolean) => void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

interface Route {
  readonly cache: ServiceCache;
  readonly balancer: ManagedBalancer<InstanceRecord>;
  readonly ready: Promise<void>;
}

/**
 * @example
 * const gateway = startGateway({ client, feed: new SseFeed({ client }) });
 * gateway.server.listen(8080);
 */
export function startGateway(options: GatewayOptions): { server: Server; stop(): Promise<void>; routes: Map<string, Route> } {
  const routes = new Map<string, Route>();
  const routeFor = (service: string): Route => {
    let route = routes.get(service);
    if (!route) {
      const balancer = createBalancer<InstanceRecord>(options.balancer ?? {});
      const cache = new ServiceCache({
        client: options.client,
        service,
        recheckMs: 10_000,
        ...(options.confirmEmptyMs !== undefined && { confirmEmptyMs: options.confirmEmptyMs }),
        onChange: (list) => balancer.update(list),
      });
      route = { cache, balancer, ready: cache.start().catch(() => undefined) };
      routes.set(service, route);
    }
    return route;
  };
  options.feed.start({
    onEvent: (event) => {
      // Instance events go to their service's cache; the registry's protection and resync events concern every cache.
      if ('service' in event.detail) routes.get(event.detail.service)?.cache.apply(event);
      else routes.forEach((route) => route.cache.apply(event));
    },
    onGap: () => routes.forEach((route) => void route.cache.resync().catch(() => undefined)),
  });

  const server = createServer((req, res) => void handle(req, res).catch(() => reply(res, 502, 'BAD_GATEWAY', 'upstream failed')));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const [, service, ...rest] = url.pathname.split('/');
    if (!service) return reply(res, 404, 'NO_SERVICE', 'route as /{service}/{path}');
    const route = routeFor(service);
    await route.ready;
    const body = await readBody(req);
    const attempts = IDEMPOTENT.has(req.method ?? 'GET') ? 2 : 1;
    let tried: InstanceRecord | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let target = route.balancer.pick();
      if (target && target === tried) target = route.balancer.pick(); // retry elsewhere when we can
      if (!target) {
        return reply(
          res,
          503,
          'NO_INSTANCE',
          `service '${service}' has no instance to route to${route.cache.stale ? ' (registry unreachable; cache is stale)' : ''}`,
        );
      }
      tried = target;
      const upstream = await forward(req, body, target, `/${rest.join('/')}${url.search}`, options.timeoutMs ?? 5000).catch(() => undefined);
      const ok = upstream !== undefined && upstream.statusCode !== undefined && upstream.statusCode < 500;
      route.balancer.report(target, ok);
      route.balancer.release(target);
      options.onAttempt?.(service, target, ok);
      if (upstream && (ok || attempt === attempts - 1)) {
        res.writeHead(upstream.statusCode ?? 502, stripHopByHop(upstream.headers));
        upstream.pipe(res);
        return;
      }
      upstream?.resume();
    }
    reply(res, 502, 'BAD_GATEWAY', `every attempt to reach '${service}' failed`);
  }

  return {
    server,
    routes,
    stop: async () => {
      await options.feed.stop();
      routes.forEach((route) => route.cache.stop());
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function reply(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message } }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function stripHopByHop(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

function forward(req: IncomingMessage, body: Buffer, target: InstanceRecord, path: string, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = stripHopByHop(req.headers);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const upstream = request({ host: target.address, port: target.port, method: req.method, path, headers, timeout: timeoutMs }, resolve);
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', reject);
    upstream.end(body);
  });
}
