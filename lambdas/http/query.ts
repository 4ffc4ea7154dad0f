/**
 * Query strings read from `rawQueryString`, because API Gateway's `queryStringParameters` joins repeated keys
 * with commas (`tag=a&tag=b` → `a,b`), which would corrupt values that contain a comma.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ValidationError } from '../domain/errors.js';

/** Every `key=value` pair, decoded, in order. */
export function queryPairs(event: Pick<APIGatewayProxyEventV2, 'rawQueryString'>): Array<[string, string]> {
  return [...new URLSearchParams(event.rawQueryString ?? '')];
}

/**
 * Folds pairs into an object: keys in `repeatable` become arrays, others must appear at most once. Keys that
 * start with one of `skipPrefixes` are left out (they are parsed elsewhere).
 */
export function queryObject(pairs: Array<[string, string]>, repeatable: readonly string[] = [], skipPrefixes: readonly string[] = []) {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of pairs) {
    if (skipPrefixes.some((prefix) => key.startsWith(prefix))) continue;
    if (repeatable.includes(key)) {
      ((out[key] ??= []) as string[]).push(value);
    } else if (key in out) {
      throw new ValidationError([{ field: `query.${key}`, message: 'may be given only once' }]);
    } else {
      out[key] = value;
    }
  }
  return out;
}
