/**
 * Discovery rules: which instances a query returns, the opaque pagination cursor, and the ETag of a result.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';
import { isExpired, isHealthy, type Instance } from './instance.js';
import type { DiscoveryQuery } from './schemas.js';

/** Which instances a page is drawn from: only healthy ones, or every live one. */
export type DiscoveryMode = 'healthy' | 'all';

export interface DiscoveryFilter {
  readonly mode: DiscoveryMode;
  readonly zone?: string;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
}

/** True when `instance` belongs in a discovery result. Expired instances are never returned. */
export function matches(instance: Instance, filter: DiscoveryFilter, nowMs: number): boolean {
  if (filter.mode === 'healthy' ? !isHealthy(instance, nowMs) : isExpired(instance, nowMs)) return false;
  if (filter.zone !== undefined && instance.zone !== filter.zone) return false;
  if (!filter.tags.every((t) => instance.tags.includes(t))) return false;
  return Object.entries(filter.meta).every(([k, v]) => instance.metadata[k] === v);
}

/** The starting mode of a query (`healthy_or_else_all` starts healthy and may fall back). */
export function initialMode(status: DiscoveryQuery['status']): DiscoveryMode {
  return status === 'all' ? 'all' : 'healthy';
}

interface CursorState {
  readonly after: string;
  readonly mode: DiscoveryMode;
}

/** Encodes where the next page starts. Opaque to clients. */
export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify({ a: state.after, m: state.mode })).toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}, or throws a 400 naming `query.cursor`. */
export function decodeCursor(cursor: string): CursorState {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && 'a' in value && 'm' in value) {
      const { a, m } = value as { a: unknown; m: unknown };
      if (typeof a === 'string' && a.length > 0 && (m === 'healthy' || m === 'all')) return { after: a, mode: m };
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ field: 'query.cursor', message: 'is not a cursor this registry issued' }]);
}

/**
 * A weak ETag of a result: it changes when the set of instances, any of their revisions, or the page cursor
 * changes, and not on heartbeats (which renew leases without changing what a client routes to).
 */
export function discoveryEtag(items: readonly Instance[], cursor: string | undefined): string {
  const hash = createHash('sha256');
  for (const i of items) hash.update(`${i.instanceId}\u0000${i.revision}\n`);
  hash.update(cursor ?? '');
  return `W/"${hash.digest('base64url').slice(0, 27)}"`;
}

/**
 * Parses the free `meta.<key>=<value>` filters from raw query pairs.
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
