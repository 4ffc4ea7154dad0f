/**
 * The one place errors become HTTP responses. Domain errors map to 4xx with the one error shape
 * `{"error":{"code","message","details?"}}`; anything else is a 500 whose message is never exposed.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Telemetry } from '../domain/telemetry.js';
import { type ErrorKind, RegistryError, ValidationError } from '../domain/errors.js';

/** The one mapping from an error's kind to its status; every {@link RegistryError} declares its kind. */
export const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
};

/** No route matches the request, or the route exists but not for this method: edge vocabulary, not the domain's. */
export class RouteNotFoundError extends RegistryError {
  readonly code: string = 'ROUTE_NOT_FOUND';
  readonly kind = 'not-found';
}

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

/** A JSON response with the registry's standard headers. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/** A JSON answer whose body is already serialized (see `discoveryBody`). */
export function jsonText(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body };
}

/** What an error is answered with: its status and the one error shape's `error` member. */
export interface ErrorAnswer {
  readonly status: number;
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/**
 * The status and error of any thrown value, the one mapping every answer uses (a whole response, or one item of a
 * bulk request): a registry error by its kind; anything else a 500 whose message is never exposed (the caller logs it).
 *
 * @example
 * errorAnswer(new ForbiddenError('not yours')); // => { status: 403, error: { code: 'FORBIDDEN', message: 'not yours' } }
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (!(error instanceof RegistryError)) return { status: 500, error: { code: 'INTERNAL', message: 'internal error' } };
  const details = error instanceof ValidationError ? { details: error.problems } : {};
  return { status: STATUS_BY_KIND[error.kind], error: { code: error.code, message: error.message, ...details } };
}

/**
 * The response for any thrown value.
 *
 * @example
 * errorResponse(new ForbiddenError('not yours')); // => 403 {"error":{"code":"FORBIDDEN","message":"not yours"}}
 */
export function errorResponse(error: unknown, logger?: Pick<Logger, 'error'>): HttpResponse {
  const { status, error: body } = errorAnswer(error);
  if (status === 500) {
    if (logger) logger.error('unhandled error', { error: error as Error });
    else console.error('unhandled error', error);
  }
  return json(status, { error: body }, status === 401 ? { 'www-authenticate': 'Bearer' } : {});
}

/**
 * Middy error middleware: turns any error into the one error shape. `httpRoute` registers it after the Powertools
 * middlewares, so (middy runs `onError` in reverse order of `use`) it answers, and logs a 500 with the request's
 * context, before they flush metrics and clear the logger's keys.
 */
export function httpErrors(
  logger: Pick<Logger, 'error'>,
  telemetry: Telemetry,
  routeId: (event: APIGatewayProxyEventV2) => string,
): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    onError: async (request) => {
      request.response = errorResponse(request.error, logger);
      const kind = request.error instanceof RegistryError ? request.error.kind : 'internal';
      // Labelled by route id, never by path, so the series stay bounded.
      telemetry.count('HttpErrors', { route: routeId(request.event), kind });
    },
  };
}
