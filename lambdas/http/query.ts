/**
 * Query strings read from `rawQueryString`, because API Gateway's `queryStringParameters` joins repeated keys
 * with commas (`tag=a&tag=b` → `a,b`), which would corrupt values that contain a comma.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { ValidationError } from '../domain/errors.js';

/** Every `key=value` pair, decoded, in order. */
export function queryPairs(event: Pick<APIGatewayProxyEventV2, 'rawQueryString'>): Array<[string, string]> {
  return [...new URLSearchParams(event.rawQueryString ?? '')];
}

/**
 * Folds pairs into an object: keys in `repeatable` become arrays, others must appear at most once. Keys that
 * start with one of `skipPrefixes` are left out (they are parsed elsewhere).
 */
export function queryObject(pairs: ReadonlyArray<[string, string]>, repeatable: readonly string[] = [], skipPrefixes: readonly string[] = []) {
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

/** The zod internals this module reads: a definition's kind and what wraps what. */
interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, { _zod: { def: SchemaDef } }>;
  readonly innerType?: { _zod: { def: SchemaDef } };
  readonly in?: { _zod: { def: SchemaDef } };
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

function unwrap(def: SchemaDef): SchemaDef {
  let current = def;
  for (;;) {
    if (WRAPPERS.has(current.type) && current.innerType) current = current.innerType._zod.def;
    else if (current.type === 'pipe' && current.in) current = current.in._zod.def;
    else return current;
  }
}

/**
 * The keys of a query schema whose values are arrays: those may repeat in a query string (`tag=a&tag=b`), and
 * every other key may appear once. Read from the schema, so the route table's declaration is the only one.
 *
 * @example
 * repeatableKeys(z.object({ tag: z.array(z.string()).default([]), limit: z.coerce.number() })); // => ['tag']
 */
export function repeatableKeys(schema: z.ZodType): string[] {
  const object = unwrap((schema as unknown as { _zod: { def: SchemaDef } })._zod.def);
  return Object.entries(object.shape ?? {})
    .filter(([, field]) => unwrap(field._zod.def).type === 'array')
    .map(([key]) => key);
}

/**
 * Parses discovery's free `meta.<key>=<value>` filters from raw query pairs (the route's `queryPrefixes`).
 *
 * @example
 * metaFilters([['meta.version', '2'], ['zone', 'a']]); // => { version: '2' }
 */
export function metaFilters(pairs: Iterable<[string, string]>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (!key.startsWith('meta.')) continue;
    const name = key.slice('meta.'.length);
    if (name.length === 0 || name.length > 128) {
      throw new ValidationError([{ field: `query.${key}`, message: 'metadata key must be 1-128 characters' }]);
    }
    meta[name] = value;
  }
  return meta;
}
