/**
 * Local stand-in for API Gateway (HTTP API, payload format 2.0): matches a request against the shared route
 * table, authorizes it, turns it into the same `APIGatewayProxyEventV2` AWS would send, invokes the unchanged
 * Lambda handler and writes its result back. Routing uses find-my-way (the router behind Fastify).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import Router, { type HTTPMethod } from 'find-my-way';
import { RouteNotFoundError } from '../lambdas/http/errors.js';
import { errorResponse, json, type HttpResponse } from '../lambdas/http/errors.js';
import type { RouteDefinition } from '../lambdas/routes.js';
import type { Caller } from '../lambdas/domain/caller.js';
import { authorizerContext } from '../lambdas/http/caller.js';
import type { Authorize } from './auth.js';
import { lambdaContext } from './lambda-context.js';

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface ApiGatewayOptions {
  readonly routes: readonly RouteDefinition[];
  /** The handler function of a route. */
  readonly handlerFor: (route: RouteDefinition) => LambdaHandler;
  readonly authorize: Authorize;
  /** API Gateway's integration timeout. @default 29000 */
  readonly timeoutMs?: number;
  /**
   * Requests served by the local runtime itself rather than a Lambda route (the SSE event feed), before any route
   * matching; returns (or resolves to) true when it took the request. It authorizes what it takes itself.
   */
  readonly local?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
  /**
   * Called after each request the route table answers (not those `local` takes), for access logs and metrics;
   * `route` is the matched route's id (absent when no route matched).
   */
  readonly onRequest?: (line: { method: string; path: string; route?: string; status: number; ms: number }) => void;
}

/**
 * Larger bodies are refused before any handler runs. API Gateway's own cap is 10 MB, but a synchronous Lambda
 * invocation carries at most 6 MB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), so in
 * AWS nothing larger reaches a function either; below that the functions' own limits answer (16 KB a body, 1.6 MB
 * for the bulk registration), as they do in AWS.
 */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

type Match = { route: RouteDefinition; params: Record<string, string | undefined> };

/**
 * @example
 * const server = createApiGateway({ routes, handlerFor, authorize });
 * server.listen(4000, '127.0.0.1');
 */
export function createApiGateway(options: ApiGatewayOptions): Server {
  // API Gateway passes long path parameters through; the handler's schema decides what is too long.
  const router = Router({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 2048 });
  for (const route of options.routes) {
    router.on(route.method as HTTPMethod, route.path.replace(/\{(\w+)\}/g, ':$1'), () => undefined, { route });
  }
  const find = (method: string, path: string): Match | 'method' | undefined => {
    const found = router.find(method as HTTPMethod, path);
    if (found) return { route: (found.store as { route: RouteDefinition }).route, params: found.params };
    return options.routes.some((r) => router.find(r.method as HTTPMethod, path)) ? 'method' : undefined;
  };

  const toResponse = (error: unknown) => (error instanceof GatewayError ? error.response() : errorResponse(error));
  return createServer((req, res) => {
    const started = performance.now();
    const local = options.local;
    // Authorization is asynchronous (table tokens), so the local hook may be too.
    const taken = local ? Promise.resolve().then(() => local(req, res, new URL(req.url ?? '/', 'http://local'))) : Promise.resolve(false);
    void taken.then(
      (took) => {
        if (took || res.headersSent) return;
        const matched: { route?: string } = {};
        return handle(req, options, find, matched)
          .catch(toResponse)
          .then((response) => {
            write(res, response);
            options.onRequest?.({ method: req.method ?? '', path: req.url ?? '', ...matched, status: response.statusCode, ms: performance.now() - started });
          });
      },
      (error: unknown) => {
        if (!res.headersSent) write(res, toResponse(error));
      },
    );
  });
}

async function handle(
  req: IncomingMessage,
  options: ApiGatewayOptions,
  find: (m: string, p: string) => Match | 'method' | undefined,
  matched: { route?: string },
): Promise<HttpResponse> {
  const url = new URL(req.url ?? '/', 'http://local');
  const method = req.method ?? 'GET';
  const match = find(method, url.pathname);
  if (match === undefined) throw new RouteNotFoundError(`no route for ${method} ${url.pathname}`);
  if (match === 'method') throw new GatewayError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`);
  matched.route = match.route.id;
  const body = await readBody(req);
  const caller = await options.authorize(header(req, 'authorization'));
  const event = toEvent(req, url, match, body, caller);
  const context = lambdaContext(match.route.id, options.timeoutMs ?? 29_000);
  const result = await withTimeout(options.handlerFor(match.route)(event, context), options.timeoutMs ?? 29_000);
  assertResponseFits(result);
  return fromResult(result);
}

/**
 * Lambda's cap on a synchronous invocation's response: 6 MB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html);
 * the runtime reports "Exceeded maximum allowed payload size (6291556 bytes)".
 */
export const LAMBDA_RESPONSE_MAX_BYTES = 6_291_556;

/**
 * Behaves like AWS for an oversize result: Lambda fails the invocation and API Gateway answers 502 (integration
 * failure) instead of the body, so a local page that would break in AWS breaks here too. The result is measured as
 * Lambda serializes it (the body is a JSON string inside the envelope, escaped once more).
 */
function assertResponseFits(result: APIGatewayProxyResultV2): void {
  const body = typeof result === 'object' && result !== null && 'body' in result ? result.body : undefined;
  // A body this short cannot reach the cap however it escapes (at most 6 bytes per UTF-16 unit, as in `\u0001`),
  // with 64 KB left for headers and the envelope: skip the work.
  if (typeof body === 'string' && body.length * 6 + 64 * 1024 < LAMBDA_RESPONSE_MAX_BYTES) return;
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes > LAMBDA_RESPONSE_MAX_BYTES) {
    throw new GatewayError(502, 'INTEGRATION_FAILURE', `the function's response is ${bytes} bytes; Lambda allows at most ${LAMBDA_RESPONSE_MAX_BYTES}`);
  }
}

/** What API Gateway itself answers before (or instead of) a handler: 405, 413, 502, 504. */
class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  response(): HttpResponse {
    return json(this.status, { error: { code: this.code, message: this.message } });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) throw new GatewayError(413, 'PAYLOAD_TOO_LARGE', `body exceeds ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Payload format 2.0, as API Gateway builds it: lower-case headers, repeated values joined with commas. */
function toEvent(req: IncomingMessage, url: URL, match: Match, body: Buffer, caller: Caller): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const pathParameters = Object.fromEntries(Object.entries(match.params).filter((e): e is [string, string] => e[1] !== undefined));
  return apiGatewayEvent({
    route: match.route,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    pathParameters,
    body,
    caller,
    ...(req.headers.cookie && { cookies: req.headers.cookie.split(/;\s*/) }),
    protocol: `HTTP/${req.httpVersion}`,
    ...(req.socket.remoteAddress && { sourceIp: req.socket.remoteAddress }),
  });
}

/** What {@link apiGatewayEvent} builds an event from. */
export interface ApiGatewayRequest {
  readonly route: RouteDefinition;
  readonly rawPath: string;
  /** Without the `?`. */
  readonly rawQueryString: string;
  /** Lower-case names, repeated values already joined with commas. */
  readonly headers: Record<string, string>;
  readonly pathParameters: Record<string, string>;
  readonly body: Buffer;
  /** Who passed the authorizer: its context is encoded as the registry's token authorizer encodes it. */
  readonly caller: Caller;
  readonly cookies?: string[];
  /** @default 'HTTP/1.1' */
  readonly protocol?: string;
  /** @default '127.0.0.1' */
  readonly sourceIp?: string;
}

/**
 * An API Gateway HTTP API event (payload format 2.0) for a request to `route`: what the stand-in hands a function,
 * and what benchmarks and tests hand a factory directly to drive it without HTTP.
 *
 * @example
 * handler(apiGatewayEvent({ route: ROUTES.Health, rawPath: '/v1/health', rawQueryString: '', headers: {}, pathParameters: {}, body: Buffer.alloc(0), caller }), context);
 */
export function apiGatewayEvent(request: ApiGatewayRequest): APIGatewayProxyEventV2 {
  const { route, headers, body, pathParameters } = request;
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(request.rawQueryString)) query[key] = key in query ? `${query[key]},${value}` : value;
  const textual = /^(application\/(?:[\w.+-]+\+)?json|text\/)/i.test(headers['content-type'] ?? 'application/json');
  const now = Date.now();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(request.cookies && { cookies: request.cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    ...(Object.keys(pathParameters).length > 0 && { pathParameters }),
    ...(body.length > 0 && { body: textual ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: route.method,
        path: request.rawPath,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      // The context a Lambda authorizer gives in AWS, encoded as the registry's token authorizer encodes it.
      authorizer: { lambda: authorizerContext(request.caller) },
    } as APIGatewayProxyEventV2['requestContext'],
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayError(504, 'GATEWAY_TIMEOUT', `handler did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A handler's result as API Gateway interprets it: structured when it has `statusCode`, else a 200 JSON body. */
function fromResult(result: APIGatewayProxyResultV2): HttpResponse {
  if (result !== null && typeof result === 'object' && 'statusCode' in result && typeof result.statusCode === 'number') {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const body = result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64').toString('latin1') : (result.body ?? '');
    return {
      statusCode: result.statusCode,
      headers,
      body,
      ...(result.cookies && { cookies: result.cookies }),
      isBase64Encoded: result.isBase64Encoded ?? false,
    };
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
}

function write(res: ServerResponse, response: HttpResponse): void {
  const headers: Record<string, string | string[]> = { ...response.headers };
  if (response.cookies) headers['set-cookie'] = response.cookies;
  const body = response.body ?? '';
  const payload = response.isBase64Encoded ? Buffer.from(body, 'latin1') : Buffer.from(body, 'utf8');
  if (response.statusCode !== 204 && response.statusCode !== 304) headers['content-length'] = String(payload.length);
  res.writeHead(response.statusCode, headers);
  res.end(response.statusCode === 204 || response.statusCode === 304 ? undefined : payload);
}
