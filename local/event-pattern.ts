/**
 * Evaluates Lambda event-filtering patterns (the subset `lambdas/stream-filter.ts` uses: exact values, `prefix`,
 * `anything-but`) against a record, as the event source mapping does in AWS. Hand-written: no maintained npm
 * package evaluates these patterns, and the subset is a few lines.
 *
 * @example
 * matchesPattern({ eventName: ['INSERT'] }, { eventName: 'INSERT' }); // => true
 */
export function matchesPattern(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some((rule) => matchesRule(rule, value));
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, sub]) => matchesPattern(sub, (value as Record<string, unknown>)[key]));
}

function matchesRule(rule: unknown, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof rule !== 'object' || rule === null) return rule === value;
  if ('prefix' in rule) return typeof value === 'string' && value.startsWith(String((rule as { prefix: unknown }).prefix));
  if ('anything-but' in rule) {
    const excluded = (rule as { 'anything-but': unknown })['anything-but'];
    return !(Array.isArray(excluded) ? excluded : [excluded]).includes(value);
  }
  return false;
}

/** True when the record matches any of the patterns (filters are OR-ed, as in AWS). */
export function passesFilters(patterns: ReadonlyArray<unknown>, record: unknown): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, record));
}
