import type { z } from 'zod';
import { ValidationError } from '../domain/errors.js';

/**
 * Parses `value` with `schema`, or throws one {@link ValidationError} naming every bad field.
 *
 * @param where - prefix of the field paths in the error: `body`, `path`, `query`.
 * @example
 * const body = parse(registerBody, JSON.parse(raw), 'body'); // throws "body.port: Too big: ..." on port 70000
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => {
      const path = [where, ...issue.path.map(String)];
      if (issue.code === 'unrecognized_keys') {
        return { field: [...path, issue.keys[0]].join('.'), message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
      }
      return { field: path.join('.'), message: issue.message };
    }),
  );
}
