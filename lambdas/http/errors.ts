/**
 * The one place errors become HTTP responses. Domain errors map to 4xx with the one error shape
 * `{"error":{"code","message","details?"}}`; anything else is a 500 whose message is never exposed.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  ForbiddenError,
  InstanceNotFoundError,
  RegistryError,
  RouteNotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '../domain/errors.js';
import { logger } from '../shared/powertools.js';

const STATUS = new Map<Function, number>([
  [ValidationError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [InstanceNotFoundError, 404],
  [RouteNotFoundError, 404],
  [ConflictError, 409],
]);

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

/** A JSON response with the registry's standard headers. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/**
 * The response for any thrown value.
 *
 * @example
 * errorResponse(new ForbiddenError('not yours')); // => 403 {"error":{"code":"FORBIDDEN","message":"not yours"}}
 */
export function errorResponse(error: unknown): HttpResponse {
  const status = error instanceof RegistryError ? STATUS.get(error.constructor) : undefined;
  if (error instanceof RegistryError && status !== undefined) {
    const details = error instanceof ValidationError ? { details: error.problems } : {};
    const headers: Record<string, string> = status === 401 ? { 'www-authenticate': 'Bearer' } : {};
    return json(status, { error: { code: error.code, message: error.message, ...details } }, headers);
  }
  logger.error('unhandled error', { error: error as Error });
  return json(500, { error: { code: 'INTERNAL', message: 'internal error' } });
}

/** Middy error middleware: register it first so its `onError` runs last and catches everything. */
export function httpErrors(): MiddlewareObj {
  return {
    onError: async (request) => {
      request.response = errorResponse(request.error);
    },
  };
}
