/**
 * The bearer-token side of the HTTP API: which routes the registry's Lambda authorizer guards (`auth: 'token'` in
 * the route table: connectors for clients that cannot sign SigV4) and how. Everything else keeps IAM.
 */
import { Duration } from 'aws-cdk-lib';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RouteDefinition } from '../../../lambdas/routes.js';

/**
 * How long API Gateway reuses an authorizer answer for the same `Authorization` header: a revoked (or expired)
 * token keeps working for at most this long on the token routes. Short, since revocation is the point; long enough
 * that a Prometheus refreshing every 30 s costs one table read a minute.
 */
export const TOKEN_AUTHORIZER_CACHE_TTL = Duration.seconds(60);

/** Handler modules whose routes only admins may call (the token admin routes): no register or discover grant covers them. */
const ADMIN_ONLY_HANDLERS: readonly string[] = ['tokens'];

/** True for a route behind the bearer-token authorizer (IAM does not apply to it). */
export function isTokenRoute(route: RouteDefinition): boolean {
  return route.auth === 'token';
}

/**
 * The routes an IAM grant can cover: token routes are left out (no IAM policy applies to them), and for anything
 * short of `grantAdmin`, so are the admin-only routes.
 *
 * @example
 * iamRoutes(routes, { admin: false }).filter((r) => r.table === 'write'); // what grantRegister grants
 */
export function iamRoutes(list: readonly RouteDefinition[], options: { admin: boolean }): RouteDefinition[] {
  return list.filter((route) => !isTokenRoute(route) && (options.admin || !ADMIN_ONLY_HANDLERS.includes(route.handler)));
}

/**
 * The HTTP API Lambda authorizer of the token routes: REQUEST type, payload format 2.0, simple responses
 * (`isAuthorized` plus a context), identity source the Authorization header (a request without it is a 401 and
 * never invokes the function), answers cached per header for {@link TOKEN_AUTHORIZER_CACHE_TTL}.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 *
 * @example
 * const authorizer = bearerTokenAuthorizer(tokenAuthorizerFunction);
 */
export function bearerTokenAuthorizer(handler: IFunction): HttpLambdaAuthorizer {
  return new HttpLambdaAuthorizer('TokenAuthorizer', handler, {
    authorizerName: 'registry-bearer-tokens',
    responseTypes: [HttpLambdaResponseType.SIMPLE],
    identitySource: ['$request.header.Authorization'],
    resultsCacheTtl: TOKEN_AUTHORIZER_CACHE_TTL,
  });
}
