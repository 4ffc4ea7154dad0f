/**
 * Builds a route handler: a middy chain with the error middleware and, for routes with a body, the JSON body
 * reader, around one function. Handlers stay a few lines: parse input, call the registry, shape the answer.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { httpErrors, type HttpResponse } from './errors.js';
import { jsonBody } from './json-body.js';

export type HttpEvent = APIGatewayProxyEventV2 & { parsedBody?: unknown };

export interface RouteOptions {
  /** Parse a JSON body before the handler runs (`event.parsedBody`). */
  readonly body?: boolean;
}

/**
 * @example
 * export const handler = httpRoute(async (event) => json(200, { ok: true }));
 */
export function httpRoute(fn: (event: HttpEvent, context: Context) => Promise<HttpResponse>, options: RouteOptions = {}) {
  const chain = middy<HttpEvent, HttpResponse>().use(httpErrors());
  if (options.body) chain.use(jsonBody());
  return chain.handler(fn);
}
