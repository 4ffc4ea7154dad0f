/**
 * The edge of every HTTP function: one middy chain per function, built here and nowhere else.
 * - Powertools first: `injectLambdaContext` (every log line carries the request's context) and `logMetrics`
 *   (Powertools' `ColdStart` on a cold start, and what the function reported, flushed once per invocation), then the
 *   one error middleware, whose `onError` middy runs before theirs (reverse order of `use`), so a 500 is logged with
 *   the request's context and counted (`HttpErrors`, by route id and kind).
 * - {@link httpRoute} reads the route's input with the schemas its entry in the route table declares (path, query,
 *   JSON body), so a function receives typed `{ path, query, body, caller }` and never parses for itself.
 * - No Powertools Tracer: a request makes one DynamoDB call, so a trace would show one segment that Lambda's
 *   `Duration` and API Gateway's latency already measure, for X-Ray's price per trace and its SDK in every bundle.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Caller } from '../domain/caller.js';
import type { Telemetry } from '../domain/telemetry.js';
import type { RouteDefinition, RouteRequest } from '../routes.js';
import { callerFrom } from './caller.js';
import { type HttpResponse, httpErrors, RouteNotFoundError } from './errors.js';
import { readJsonBody } from './json-body.js';
import { queryObject, queryPairs, repeatableKeys } from './query.js';
import { parse } from './validate.js';

export type HttpEvent = APIGatewayProxyEventV2;

/** What every HTTP function's edge needs: where it logs and reports, and who counts as an admin under IAM. */
export interface EdgeDependencies {
  readonly logger: Logger;
  /** Powertools metrics (CloudWatch EMF) for `logMetrics`; absent where they are off (the local runtime). */
  readonly metrics?: Metrics;
  readonly telemetry: Telemetry;
  readonly adminPrincipals: readonly string[];
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A route's input, parsed with the schemas its route-table entry declares. */
export interface RouteInput<R extends RouteRequest> {
  readonly path: Parsed<R['path']>;
  readonly query: Parsed<R['query']>;
  readonly body: Parsed<R['body']>;
  /** Every query `key=value` pair, decoded, in order (for the free keys of `queryPrefixes`). */
  readonly pairs: ReadonlyArray<[string, string]>;
  /** Who is calling; read on first use (401 when the request passed no authorizer). */
  readonly caller: Caller;
  readonly event: HttpEvent;
}

/** One route's function: its input in, its response out. */
export type RouteFunction<R extends RouteRequest> = (input: RouteInput<R>) => Promise<HttpResponse>;

/**
 * The middy chain of an HTTP function around `fn`, for functions that read the raw event themselves (the Eureka
 * connector, which speaks Eureka's own formats; health, which reads nothing). `routeId` names the route of an event
 * in metrics. Prefer {@link httpRoute}.
 */
export function httpFunction(deps: EdgeDependencies, routeId: (event: HttpEvent) => string, fn: (event: HttpEvent, context: Context) => Promise<HttpResponse>) {
  const chain = middy<HttpEvent, HttpResponse>().use(injectLambdaContext(deps.logger));
  if (deps.metrics) chain.use(logMetrics(deps.metrics, { captureColdStartMetric: true }));
  return chain.use(httpErrors(deps.logger, deps.telemetry, routeId)).handler(fn);
}

/**
 * An HTTP function serving one route.
 *
 * @example
 * export const registerHandler = (deps: RegistryDependencies) =>
 *   httpRoute(ROUTES.RegisterInstance, async ({ path, body, caller }) => json(201, await deps.registry.register(caller, path, body)), deps);
 */
export function httpRoute<R extends RouteRequest>(route: RouteDefinition<R>, fn: RouteFunction<R>, deps: EdgeDependencies) {
  const read = inputReader(route, deps.adminPrincipals);
  return httpFunction(
    deps,
    () => route.id,
    (event) => fn(read(event)),
  );
}

/** One route of a function that serves several (see {@link httpRoutes}). */
export interface RouteBinding {
  readonly route: RouteDefinition;
  readonly fn: RouteFunction<RouteRequest>;
}

/** Pairs a route with its function, keeping the types {@link httpRoute} would give. */
export function bind<R extends RouteRequest>(route: RouteDefinition<R>, fn: RouteFunction<R>): RouteBinding {
  return { route, fn: fn as unknown as RouteFunction<RouteRequest> };
}

/**
 * An HTTP function serving several routes (the token admin routes), dispatching on API Gateway's `routeKey`.
 *
 * @example
 * export const tokensHandler = (deps) => httpRoutes([bind(ROUTES.ListTokens, list), bind(ROUTES.CreateToken, create)], deps);
 */
export function httpRoutes(bindings: readonly RouteBinding[], deps: EdgeDependencies) {
  const byKey = new Map(bindings.map((b) => [`${b.route.method} ${b.route.path}`, { ...b, read: inputReader(b.route, deps.adminPrincipals) }]));
  return httpFunction(
    deps,
    (event) => byKey.get(event.routeKey)?.route.id ?? 'unmatched',
    async (event) => {
      const binding = byKey.get(event.routeKey);
      if (!binding) throw new RouteNotFoundError(`no route for ${event.routeKey}`);
      return binding.fn(binding.read(event));
    },
  );
}

/**
 * The reader of a route's input: path, query and body with the route's schemas, in that order (the JSON itself first:
 * a body that is not JSON is refused before anything else is looked at). What the schemas say about the query (which
 * keys may repeat) is read once, here, not on every request.
 */
function inputReader<R extends RouteRequest>(route: RouteDefinition<R>, adminPrincipals: readonly string[]): (event: HttpEvent) => RouteInput<R> {
  const request: RouteRequest = route.request ?? {};
  const repeatable = request.query ? repeatableKeys(request.query) : [];
  return (event) => {
    const raw = request.body ? readJsonBody(event, request.maxBodyBytes) : undefined;
    const pairs = queryPairs(event);
    const path = request.path ? parse(request.path, event.pathParameters, 'path') : undefined;
    const query = request.query ? parse(request.query, queryObject(pairs, repeatable, request.queryPrefixes), 'query') : undefined;
    const body = request.body ? parse(request.body, raw, 'body') : undefined;
    let caller: Caller | undefined;
    return {
      path,
      query,
      body,
      pairs,
      event,
      get caller() {
        caller ??= callerFrom(event, adminPrincipals);
        return caller;
      },
    } as RouteInput<R>;
  };
}
