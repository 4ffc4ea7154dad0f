/**
 * Validation at the SDK's trust boundary: answers and events are parsed with the registry's own zod schemas
 * (`@service-registry/contracts`) instead of cast, so what the rest of the SDK holds is what its types say.
 */
import type * as z from 'zod';
import { RegistryResponseError } from './errors.js';

/**
 * `value` parsed by `schema`, or a {@link RegistryResponseError} naming `what` and the fields that are wrong.
 *
 * @example
 * const record = validated(instanceRecord, await res.json(), 'GET /v1/services/orders/instances/orders-1 (200)');
 */
export function validated<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new RegistryResponseError(
    what,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
