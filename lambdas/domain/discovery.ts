/**
 * Discovery rules: which instances a query returns, the opaque pagination cursor, and the ETag of a result.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';
import { countsHealthy, isExpired, isHealthy, type Instance } from './instance.js';
import { toRecord } from './record.js';
import type { DiscoveryQuery, ProtectionStatus } from '@service-registry/contracts';

/** Which instances a page is drawn from: only healthy ones, or every live one. */
export type DiscoveryMode = 'healthy' | 'all';

export interface DiscoveryFilter {
  readonly mode: DiscoveryMode;
  readonly zone?: string;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
}

/**
 * True when `instance` belongs in a discovery result. Expired instances are never returned, unless `keepExpired`
 * (the lease guard is engaged): then an expired one is judged on what it was (UP and not critical in mode
 * `healthy`), and the caller shows it marked (see `keptByLeaseGuard`).
 */
export function matches(instance: Instance, filter: DiscoveryFilter, nowMs: number, keepExpired = false): boolean {
  const expired = isExpired(instance, nowMs);
  if (expired && !keepExpired) return false;
  if (filter.mode === 'healthy' && !(expired ? countsHealthy(instance) : isHealthy(instance, nowMs))) return false;
  if (filter.zone !== undefined && instance.zone !== filter.zone) return false;
  if (!filter.tags.every((t) => instance.tags.includes(t))) return false;
  return Object.entries(filter.meta).every(([k, v]) => instance.metadata[k] === v);
}

/**
 * Most bytes of records one discovery page carries, counted as {@link recordBytes} counts them. A Lambda
 * response is at most 6 MB (6,291,556 bytes) for a synchronous invocation
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): beyond it the invocation fails and
 * the client gets a 5xx from API Gateway instead of the page. 1,000 records of up to ~25 KB each (4 KB of metadata, 32 tags of 128 characters, all
 * escaped) would be far over it, so pages stop at this many bytes as well as at `limit`, and the cursor goes on.
 * 4 MiB leaves ~2 MB for the list's own fields, the protection status, headers and the response envelope.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

const recordJsonOf = new WeakMap<Instance, string>();

/**
 * The record's JSON (`JSON.stringify(toRecord(instance))`), made once per instance object: a discovery page sizes
 * itself by it ({@link recordBytes}) and its answer carries it ({@link discoveryBody}), so neither converts nor
 * serializes a record twice (issue #16: discover's CPU per request).
 */
export function recordJson(instance: Instance): string {
  let json = recordJsonOf.get(instance);
  if (json === undefined) recordJsonOf.set(instance, (json = JSON.stringify(toRecord(instance))));
  return json;
}

/**
 * A discovery answer's body: exactly `JSON.stringify({ service, instances: instances.map(toRecord), cursor?,
 * protection? })`, with each record's JSON taken from {@link recordJson} rather than made again.
 */
export function discoveryBody(service: string, instances: readonly Instance[], cursor?: string, protection?: ProtectionStatus): string {
  return (
    `{"service":${JSON.stringify(service)},"instances":[${instances.map(recordJson).join(',')}]` +
    `${cursor === undefined ? '' : `,"cursor":${JSON.stringify(cursor)}`}${protection === undefined ? '' : `,"protection":${JSON.stringify(protection)}`}}`
  );
}

/**
 * Bytes a record takes in the Lambda response: its JSON, escaped once more because the body travels as a JSON
 * string inside the response envelope (`{"statusCode":200,"body":"{\"service\":…"}`). Escaping adds one byte
 * per `"` and per `\\` of the body; every other character the body's JSON holds (control characters and lone
 * surrogates are already `\\u` escapes) passes through unchanged.
 */
export function recordBytes(instance: Instance): number {
  const body = recordJson(instance);
  let escapes = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) escapes++;
  }
  return Buffer.byteLength(body) + escapes + 1; // + the comma between records
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
 * A weak ETag of a result: it changes when the set of instances, any of their revisions, a `leaseExpired` mark,
 * the protection status or the page cursor changes, and not on heartbeats (which renew leases without changing
 * what a client routes to).
 */
export function discoveryEtag(items: readonly Instance[], cursor: string | undefined, protection?: ProtectionStatus): string {
  const hash = createHash('sha256');
  for (const i of items) hash.update(`${i.instanceId}\u0000${i.revision}${i.leaseExpired ? '\u0000expired' : ''}\n`);
  hash.update(cursor ?? '');
  if (protection) hash.update(`\u0000${JSON.stringify(protection)}`);
  return `W/"${hash.digest('base64url').slice(0, 27)}"`;
}
