/**
 * Reads a JSON request body (`httpRoute` calls it for routes with a body): at most 16 KB, must parse, must be an
 * object. Hand-written instead of `@middy/http-json-body-parser` because that middleware answers malformed JSON with
 * 422 and has no size cap, while the API contract is a 400 naming `body` for both.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MAX_BODY_BYTES } from '@service-registry/contracts';
import { ValidationError } from '../domain/errors.js';

export { MAX_BODY_BYTES };

function bodyError(message: string): ValidationError {
  return new ValidationError([{ field: 'body', message }]);
}

/** The parsed body of `event`, or a 400 naming `body`. */
export function readJsonBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>, maxBytes = MAX_BODY_BYTES): unknown {
  if (event.body === undefined || event.body === '') throw bodyError('a JSON object is required');
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > maxBytes) throw bodyError(`is ${raw.length} bytes; at most ${maxBytes} are accepted`);
  const type = event.headers?.['content-type'];
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw bodyError(`content-type must be application/json, got '${type}'`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw bodyError(`is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bodyError('must be a JSON object');
  return parsed;
}
