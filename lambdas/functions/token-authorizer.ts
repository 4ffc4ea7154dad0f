/**
 * The HTTP API Lambda authorizer (REQUEST, payload format 2.0, simple responses) of the routes whose
 * `RouteDefinition.auth` is `token`: `Authorization: Bearer srt_…` is looked up in the table (GetItem by token id,
 * constant-time hash comparison). Allowed: `{ isAuthorized: true, context }`, the caller as
 * `lambdas/http/caller.ts` `authorizerContext` encodes it for `callerFrom`. Anything wrong with the token —
 * missing, malformed, unknown, revoked, expired — is `{ isAuthorized: false }`, which API Gateway answers with 403
 * (a request without the header never gets here: 401). A failing lookup throws, so API Gateway answers 500: it
 * never lets a request through it could not check.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 *
 * API Gateway caches an answer per Authorization header for the authorizer's TTL (packages/cdk/src/token-authorizer.ts),
 * so a revoked token keeps working for at most that long.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { UnauthenticatedError } from '../domain/errors.js';
import type { Tokens } from '../domain/tokens.js';
import { authorizerContext } from '../http/caller.js';

export type TokenAuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<ReturnType<typeof authorizerContext>> | { isAuthorized: false };

/**
 * @example
 * const authorize = tokenAuthorizer(new Tokens({ store }));
 * await authorize(event); // => { isAuthorized: true, context: { principal: 'prometheus', services: '', read: '*', admin: false } }
 */
export function tokenAuthorizer(tokens: Tokens) {
  return async (event: Partial<Pick<APIGatewayRequestAuthorizerEventV2, 'headers' | 'identitySource'>>): Promise<TokenAuthorizerResult> => {
    // The identity source is the Authorization header; payload 2.0 lower-cases header names.
    const authorization = event.identitySource?.[0] ?? event.headers?.authorization;
    try {
      return { isAuthorized: true, context: authorizerContext(await tokens.authenticate(authorization)) };
    } catch (error) {
      if (error instanceof UnauthenticatedError) return { isAuthorized: false };
      throw error;
    }
  };
}
